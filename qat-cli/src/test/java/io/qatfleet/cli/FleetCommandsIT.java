package io.qatfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.cli.fleet.FleetJobs;
import io.qatfleet.cli.fleet.LocalPrometheus;
import io.qatfleet.cli.fleet.RunningFleet;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every client command against a fleet that {@code qat up} left running as processes (a Kafka
 * broker and the three packaged services, Prometheus where installed): submit, follow, list,
 * status, trigger (the registered model retrained into version 2), cancel, ps and logs, then {@code
 * qat down}, after which no process of the fleet runs. The commands find the fleet through its
 * {@code fleet.json} (this JVM's {@code qat.fleet.dir}), as a user's would; the ports are offset so
 * that the test runs beside a user's fleet.
 */
class FleetCommandsIT {
  private static final String PORT_OFFSET = "300";

  /** One float and one QAT epoch on 1,000 images, W8A8, a wide bar: approved in round 1. */
  private static final String JOB = FleetJobs.small("cli-e2e");

  /** Forty float epochs: still training when it is cancelled. */
  private static final String LONG_JOB =
      FleetJobs.small("cli-e2e-long", "{\"training\": {\"floatEpochs\": 40}}");

  /** What one command printed and returned. */
  record Result(int exit, String out, String err) {}

  /**
   * A fleet directory of this run's own: `qat up` starts on a directory's data, models included.
   */
  @BeforeAll
  static void freshFleetDir() throws Exception {
    Path root = Path.of(System.getProperty("qat.repo.root", "..")).toAbsolutePath().normalize();
    Path dir = Files.createTempDirectory(root.resolve("qat-cli/target"), "cli-it-fleet-");
    System.setProperty("qat.fleet.dir", dir.toString());
  }

  @AfterAll
  static void leaveNoFleet() {
    if (RunningFleet.find().isPresent()) {
      qat("down");
    }
  }

  @Test
  void drivesEveryCommandAgainstAFleetStartedByUp() throws Exception {
    Path root = Path.of(System.getProperty("qat.repo.root", "..")).toAbsolutePath().normalize();
    Path work = Files.createTempDirectory(root.resolve("qat-cli/target"), "cli-it-");
    Path job = Files.writeString(work.resolve("job.json"), JOB);
    Path longJob = Files.writeString(work.resolve("long-job.json"), LONG_JOB);

    // up: the broker and the services as processes, described in fleet.json
    Result up = qat("up", "--port-offset", PORT_OFFSET, "--repo", root.toString());
    assertThat(up.exit()).as(up.err()).isZero();
    RunningFleet fleet = RunningFleet.find().orElseThrow();
    List<String> parts = fleet.parts().stream().map(RunningFleet.Part::name).toList();
    assertThat(parts)
        .startsWith("kafka", "trainer-service", "quantizer-service", "validator-service");
    assertThat(fleet.bootstrapServers()).isEqualTo("127.0.0.1:9392");
    assertThat(fleet.trainerUrl()).isEqualTo("http://127.0.0.1:8381");
    if (LocalPrometheus.binary().isPresent()) {
      assertThat(parts).endsWith(LocalPrometheus.NAME);
    } else {
      assertThat(up.out()).contains("Prometheus: skipped");
    }
    assertThat(fleet.running()).hasSameSizeAs(fleet.parts());

    // up again: the running fleet is reported, nothing is started
    Result again = qat("up", "--port-offset", PORT_OFFSET, "--repo", root.toString());
    assertThat(again.exit()).isZero();
    assertThat(again.out()).contains("already up");
    assertThat(RunningFleet.find().orElseThrow().parts()).isEqualTo(fleet.parts());

    Result ps = qat("ps");
    assertThat(ps.exit()).as(ps.out()).isZero();
    assertThat(ps.out()).containsPattern("trainer-service +\\d+ +ready +http://127.0.0.1:8381");

    // submit, follow, list, status: no address given, the commands read fleet.json
    Result submitted = qat("submit", job.toString());
    assertThat(submitted.exit()).as(submitted.err()).isZero();
    String jobId = submitted.out().strip();
    Result followed = qat("follow", jobId);
    assertThat(followed.exit()).as(followed.err()).isZero();
    assertThat(followed.out()).contains("APPROVED as cli-e2e v1");

    assertThat(qat("list").out()).contains(jobId);
    Result status = statusShowing("outcome", jobId, "--per-class");
    assertThat(status.exit()).isZero();
    assertThat(status.out())
        .contains("outcome  approved as version 1")
        .containsPattern("round 1 +0\\.\\d{4}")
        .contains("round 1 per class")
        .doesNotContain("progress");

    // trigger: the registered model is retrained into version 2
    Result triggered = qat("trigger", "cli-e2e", "--reason", "data_updated");
    assertThat(triggered.exit()).as(triggered.err()).isZero();
    String retrainId = triggered.out().strip();
    Result retrained = qat("follow", retrainId);
    assertThat(retrained.exit()).as(retrained.err()).isZero();
    assertThat(retrained.out()).contains("APPROVED as cli-e2e v2");
    assertThat(statusShowing("outcome", retrainId).out())
        .contains("outcome  approved as version 2");

    // cancel: the trainer ends the job with JobFailed, follow says so and exits 1
    String longId = qat("submit", longJob.toString()).out().strip();
    Result cancelled = qat("cancel", longId, "--reason", "test");
    assertThat(cancelled.exit()).as(cancelled.err()).isZero();
    Result endedCancelled = qat("follow", longId);
    assertThat(endedCancelled.exit()).isEqualTo(1);
    assertThat(endedCancelled.out()).containsIgnoringCase("cancel");

    // logs: a part's log, and -f following it until the part stops
    Result logs = qat("logs", "trainer", "--tail", "5");
    assertThat(logs.exit()).isZero();
    assertThat(logs.out().lines()).hasSizeBetween(1, 5);
    assertThat(qat("logs", "kafka").out()).contains("KAFKA READY");
    CompletableFuture<Result> followedLog =
        CompletableFuture.supplyAsync(() -> qat("logs", "validator-service", "-f", "-n", "1"));

    // down: every process stops, fleet.json goes, ps says no fleet is up
    Result down = qat("down");
    assertThat(down.exit()).as(down.err()).isZero();
    for (RunningFleet.Part p : fleet.parts()) {
      assertThat(ProcessHandle.of(p.pid()).filter(ProcessHandle::isAlive))
          .as(p.name() + " (pid " + p.pid() + ") after qat down")
          .isEmpty();
    }
    assertThat(RunningFleet.find()).isEmpty();
    assertThat(followedLog.get(30, TimeUnit.SECONDS).exit()).isZero();
    assertThat(qat("ps").exit()).isEqualTo(1);
    assertThat(qat("down").out()).contains("no fleet is up");
  }

  /**
   * {@code qat status} of a job once it shows {@code text}, or as it last was: the trainer's job
   * view reads the topics a moment after {@code qat follow} has seen the job end.
   */
  private static Result statusShowing(String text, String... args) throws InterruptedException {
    String[] command = new String[args.length + 1];
    command[0] = "status";
    System.arraycopy(args, 0, command, 1, args.length);
    Result r = qat(command);
    for (int i = 0; i < 60 && !r.out().contains(text); i++) {
      Thread.sleep(1000);
      r = qat(command);
    }
    return r;
  }

  /**
   * Runs one {@code qat} command in this JVM, as the launcher would, capturing what it prints (and
   * echoing it to the test's log).
   */
  static Result qat(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli =
        new CommandLine(new QatCli())
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(err, true));
    int exit = QatCli.execute(cli, args);
    Result r = new Result(exit, out.toString(), err.toString());
    System.out.println(
        "$ qat " + String.join(" ", args) + "  -> " + exit + "\n" + r.out() + r.err());
    return r;
  }
}
