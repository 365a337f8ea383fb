package io.qatfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.qatfleet.cli.fleet.RunningFleet;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet client commands' argument and error handling, without a fleet: usage errors exit with
 * 2; a bad or missing spec, an unknown job and an unreachable trainer or broker are one line on
 * standard error and exit code 1. A fake trainer (the JDK's HTTP server) counts the requests that
 * reached it.
 */
class FleetCommandsTest {
  /** Nothing listens on port 1 of the loopback interface. */
  private static final String UNREACHABLE_TRAINER = "http://127.0.0.1:1";

  private static final String VALID_SPEC =
      """
      {"name": "tiny", "data": {"dataset": "fashion-mnist", "trainLimit": 300}}
      """;

  static {
    KafkaAccess.quietClientLogs();
  }

  @TempDir Path dir;

  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicReference<String> lastRequest = new AtomicReference<>();
  private HttpServer trainer;
  private String trainerUrl;
  private PrintStream originalOut;
  private PrintStream originalErr;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void startFakeTrainer() throws IOException {
    trainer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    trainer.createContext(
        "/jobs",
        exchange -> {
          requests.incrementAndGet();
          String path = exchange.getRequestURI().getPath();
          lastRequest.set(exchange.getRequestMethod() + " " + exchange.getRequestURI());
          int status;
          String body;
          if (exchange.getRequestMethod().equals("DELETE") && path.equals("/jobs/job-42")) {
            status = 202;
            body = "{\"jobId\": \"job-42\"}";
          } else if (exchange.getRequestMethod().equals("DELETE") && path.equals("/jobs/done")) {
            status = 409;
            body = "{\"reason\": \"job done has already ended: approved\"}";
          } else if (exchange.getRequestMethod().equals("POST")) {
            status = 202;
            body = "{\"jobId\": \"job-42\"}";
          } else if (path.equals("/jobs")) {
            status = 200;
            body = "[]";
          } else {
            status = 404;
            body = "";
          }
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
          if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
          }
          exchange.close();
        });
    trainer.start();
    trainerUrl = "http://127.0.0.1:" + trainer.getAddress().getPort();
    originalOut = System.out;
    originalErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setOut(originalOut);
    System.setErr(originalErr);
    trainer.stop(0);
  }

  private List<String> errLines() {
    return err.toString(StandardCharsets.UTF_8).lines().toList();
  }

  private String outText() {
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void rejectsALogsPartThatIsNoNameAsUsageError() {
    assertThat(QatCli.run("logs", "../../etc/passwd")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("PART must be");
  }

  @Test
  void saysNoFleetIsUpWhereNoneWasStarted() {
    // this JVM's qat.fleet.dir (the build's target/fleet) holds no fleet.json
    assertThat(QatCli.run("ps")).isEqualTo(1);
    assertThat(errLines())
        .containsExactly("qat ps: no fleet is up (`qat up` starts one in the background)");
    assertThat(QatCli.run("down")).isZero();
    assertThat(outText()).contains("no fleet is up");
  }

  @Test
  void findsTheTrainerOfTheFleetUpStartedWithoutBeingTold() {
    String configured = System.getProperty("qat.fleet.dir");
    System.setProperty("qat.fleet.dir", dir.toString());
    try {
      new RunningFleet(
              dir.toString(),
              "127.0.0.1:1",
              trainerUrl,
              "http://127.0.0.1:1",
              dir.resolve("approval-public.pem").toString(),
              Instant.now(),
              List.of())
          .write();

      assertThat(QatCli.run("list")).isZero();
    } finally {
      if (configured == null) {
        System.clearProperty("qat.fleet.dir");
      } else {
        System.setProperty("qat.fleet.dir", configured);
      }
    }
    assertThat(lastRequest.get()).isEqualTo("GET /jobs");
    assertThat(outText()).contains("no jobs");
  }

  @Test
  void rejectsSubmitWithoutFileAsUsageError() {
    assertThat(QatCli.run("submit")).isEqualTo(2);
  }

  @Test
  void rejectsFollowWithoutJobIdAsUsageError() {
    assertThat(QatCli.run("follow")).isEqualTo(2);
  }

  @Test
  void rejectsTriggerWithoutReasonAsUsageError() {
    assertThat(QatCli.run("trigger", "tiny")).isEqualTo(2);
  }

  @Test
  void rejectsUnknownReasonAsUsageError() {
    assertThat(QatCli.run("trigger", "tiny", "--reason", "boredom")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("boredom");
  }

  @Test
  void rejectsMalformedModelNameAsUsageError() {
    assertThat(QatCli.run("trigger", "no spaces", "--reason", "manual")).isEqualTo(2);
  }

  @Test
  void reportsMissingSpecFileWithoutContactingTrainer() {
    Path missing = dir.resolve("nope.json");

    int code = QatCli.run("submit", missing.toString(), "--trainer", trainerUrl);

    assertThat(code).isEqualTo(1);
    assertThat(errLines()).singleElement().asString().contains(missing.toString(), "no such file");
    assertThat(requests).hasValue(0);
  }

  @Test
  void reportsInvalidSpecWithoutContactingTrainer() throws IOException {
    Path spec = dir.resolve("bad.json");
    Files.writeString(spec, "{\"name\": \"has space\", \"training\": {\"batchSize\": 0}}");

    int code = QatCli.run("submit", spec.toString(), "--trainer", trainerUrl);

    assertThat(code).isEqualTo(1);
    assertThat(errLines())
        .singleElement()
        .asString()
        .contains("invalid job spec", "name:", "batchSize");
    assertThat(requests).hasValue(0);
  }

  @Test
  void reportsSpecThatIsNotJsonOnOneLine() throws IOException {
    Path spec = dir.resolve("broken.json");
    Files.writeString(spec, "{\"name\": \n\n \"tiny\",");

    int code = QatCli.run("submit", spec.toString(), "--trainer", trainerUrl);

    assertThat(code).isEqualTo(1);
    assertThat(errLines()).singleElement().asString().contains("invalid job spec");
    assertThat(requests).hasValue(0);
  }

  @Test
  void printsJobIdOfSubmittedJob() throws IOException {
    Path spec = dir.resolve("job.json");
    Files.writeString(spec, VALID_SPEC);

    int code = QatCli.run("submit", spec.toString(), "--trainer", trainerUrl);

    assertThat(code).isEqualTo(0);
    assertThat(outText().strip()).isEqualTo("job-42");
    assertThat(requests).hasValue(1);
  }

  @Test
  void reportsSubmitToUnreachableTrainerNamingUrl() throws IOException {
    Path spec = dir.resolve("job.json");
    Files.writeString(spec, VALID_SPEC);

    int code = QatCli.run("submit", spec.toString(), "--trainer", UNREACHABLE_TRAINER);

    assertThat(code).isEqualTo(1);
    assertThat(errLines()).singleElement().asString().contains(UNREACHABLE_TRAINER, "unreachable");
  }

  @Test
  void reportsStatusFromUnreachableTrainerNamingUrl() {
    int code = QatCli.run("status", "job-1", "--trainer", UNREACHABLE_TRAINER);

    assertThat(code).isEqualTo(1);
    assertThat(errLines()).singleElement().asString().contains(UNREACHABLE_TRAINER, "unreachable");
  }

  @Test
  void reportsListFromUnreachableTrainerNamingUrl() {
    int code = QatCli.run("list", "--trainer", UNREACHABLE_TRAINER);

    assertThat(code).isEqualTo(1);
    assertThat(errLines()).singleElement().asString().contains(UNREACHABLE_TRAINER);
  }

  @Test
  void reportsUnknownJob() {
    int code = QatCli.run("status", "no-such-job", "--trainer", trainerUrl);

    assertThat(code).isEqualTo(1);
    assertThat(errLines()).singleElement().asString().contains("no-such-job", "no such job");
  }

  @Test
  void saysSoWhenTheFleetHasNoJobs() {
    assertThat(QatCli.run("list", "--trainer", trainerUrl)).isEqualTo(0);
    assertThat(outText().strip()).isEqualTo("no jobs");
  }

  @Test
  void reportsTriggerToUnreachableKafkaNamingAddress() {
    int code =
        QatCli.run("trigger", "tiny", "--reason", "data_updated", "--bootstrap", "127.0.0.1:1");

    assertThat(code).isEqualTo(1);
    assertThat(errLines()).singleElement().asString().contains("127.0.0.1:1", "cannot reach Kafka");
    assertThat(outText()).isEmpty();
  }

  @Test
  void cancelsJobWithReasonThroughDelete() {
    int code = QatCli.run("cancel", "job-42", "--reason", "wrong data", "--trainer", trainerUrl);

    assertThat(code).isEqualTo(0);
    assertThat(lastRequest).hasValue("DELETE /jobs/job-42?reason=wrong+data");
    assertThat(outText()).startsWith("cancelled job-42");
  }

  @Test
  void reportsCancelOfUnknownJob() {
    int code = QatCli.run("cancel", "no-such-job", "--trainer", trainerUrl);

    assertThat(code).isEqualTo(1);
    assertThat(errLines()).singleElement().asString().contains("no-such-job", "no such job");
  }

  @Test
  void reportsCancelOfEndedJobWithTrainersReason() {
    int code = QatCli.run("cancel", "done", "--trainer", trainerUrl);

    assertThat(code).isEqualTo(1);
    assertThat(errLines()).singleElement().asString().contains("has already ended: approved");
  }

  @Test
  void rejectsCancelWithoutJobIdAsUsageError() {
    assertThat(QatCli.run("cancel")).isEqualTo(2);
    assertThat(requests).hasValue(0);
  }
}
