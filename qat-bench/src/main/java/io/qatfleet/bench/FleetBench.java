package io.qatfleet.bench;

import io.qatfleet.bench.FleetRun.TrainerShare;
import io.qatfleet.cli.fleet.EventTail;
import io.qatfleet.cli.fleet.FleetStartException;
import io.qatfleet.cli.fleet.JobClient;
import io.qatfleet.cli.fleet.JobFollower;
import io.qatfleet.cli.fleet.JobSummary;
import io.qatfleet.cli.fleet.LocalFleet;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.TensorFlowThreads;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.topic.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code qat bench fleet}: a batch of identical jobs through the local fleet (broker and packaged
 * services as processes), once per trainer count. For every approved job its wall time is split
 * along its critical path into training, calibration, validation and the rest ({@link StageSplit});
 * for every trainer count, the batch's jobs per hour ({@link Throughput}). Each trainer count gets
 * a fresh fleet, so the runs start alike. This class runs the batches and collects each one's
 * events and trainer metrics ({@link FleetRun}); {@link FleetReport} writes the tables.
 */
@Command(
    name = "fleet",
    mixinStandardHelpOptions = true,
    description =
        "Jobs through the local fleet: each job's wall time split into training, calibration,"
            + " validation and overhead; jobs per hour with 1 vs 2 trainer instances.")
public final class FleetBench implements Callable<Integer> {
  static final String DEFAULT_JOB = "/bench-fleet-job.json";
  static final int MAX_TRAINERS = 8;

  /** The trainers' consumer group ({@code kafka.group.id} of trainer-service). */
  static final String TRAINER_GROUP = "trainer-service";

  /** How long a fresh fleet's trainers may take to settle into their group. */
  static final Duration GROUP_WAIT = Duration.ofSeconds(120);

  @Spec CommandSpec spec;

  @Option(
      names = "--job",
      paramLabel = "SPEC.json",
      description =
          "Job spec submitted N times (default: the built-in W4A4 Fashion-MNIST job of about a"
              + " minute, qat-bench/src/main/resources"
              + DEFAULT_JOB
              + ").")
  Path jobFile;

  @Option(
      names = "--jobs",
      paramLabel = "N",
      defaultValue = "4",
      description = "Jobs submitted at once to each fleet (default ${DEFAULT-VALUE}).")
  int jobs;

  @Option(
      names = "--trainers",
      split = ",",
      paramLabel = "K",
      defaultValue = "1,2",
      description =
          "Trainer instances of each fleet, in order; the first is the baseline (default"
              + " ${DEFAULT-VALUE}).")
  List<Integer> trainers;

  @Option(
      names = "--pin-trainers",
      description =
          "Pin trainer instance i to the i-th CPU (taskset), so each trainer has one core and"
              + " sizes TensorFlow's pools to it; the quantizer and validator are not pinned. Also"
              + " the single trainer of the baseline: k trainers on k cores against one on one.")
  boolean pinTrainers;

  @Option(
      names = "--timeout-minutes",
      defaultValue = "120",
      description = "Give up on a batch after this long (default ${DEFAULT-VALUE}).")
  int timeoutMinutes;

  @Option(
      names = "--out",
      defaultValue = "docs/benchmarks/pipeline-fleet.md",
      description = "Markdown file the tables go to (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--runs-dir",
      defaultValue = "runs",
      description =
          "Where the fleets' logs go, under bench-fleet-<time>/ (default ${DEFAULT-VALUE}).")
  Path runsDir;

  @Option(
      names = "--repo",
      description = "Repository root holding the packaged services (default: QAT_HOME or .).")
  Path repo = Path.of(System.getenv().getOrDefault("QAT_HOME", "."));

  @Override
  public Integer call() throws IOException, InterruptedException {
    List<String> problems = problems(jobs, trainers, timeoutMinutes);
    if (!problems.isEmpty()) {
      throw new ParameterException(spec.commandLine(), String.join("; ", problems));
    }
    JobSpec job = JobSpec.fromJson(specText());
    job.requireValid();
    PrintStream console = System.out;
    job.warnings().forEach(w -> console.println("warning: " + w));
    String command = BenchReport.command(spec.commandLine().getParseResult().originalArgs());
    MachineInfo machine = MachineInfo.current();
    double load = BenchReport.loadAverage();
    Path benchDir =
        runsDir.resolve(
            "bench-fleet-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    List<FleetRun> runs = new ArrayList<>();
    for (int k : trainers) {
      try {
        runs.add(runBatch(job, k, benchDir.resolve("trainers-" + k), console));
      } catch (FleetStartException e) {
        return startFailed(e);
      }
    }
    String text =
        BenchReport.header(
                "Fleet pipeline: where a job's time goes, and jobs per hour",
                machine,
                command,
                load)
            + FleetReport.markdown(
                FleetReport.describe(job, jobFile == null ? "built-in" : jobFile.toString()),
                jobs,
                runs,
                Runtime.getRuntime().availableProcessors(),
                TensorFlowThreads.current().toString(),
                pinTrainers);
    console.println();
    BenchReport.publish(text, out, console);
    boolean allApproved =
        runs.stream().allMatch(r -> r.throughput().approved() == r.jobIds().size());
    return allApproved ? 0 : 1;
  }

  /** Says on stderr why the fleet did not start, with the tail of its log; the exit code, 1. */
  static int startFailed(FleetStartException e) {
    System.err.println("qat: " + e.getMessage());
    if (!e.logTail().isBlank()) {
      System.err.println("--- last lines of its log ---\n" + e.logTail());
    }
    return 1;
  }

  /** What is wrong with the arguments; empty when nothing is. */
  static List<String> problems(int jobs, List<Integer> trainers, int timeoutMinutes) {
    List<String> out = new ArrayList<>();
    if (jobs < 1) {
      out.add("--jobs: must be at least 1, got " + jobs);
    }
    if (trainers == null || trainers.isEmpty()) {
      out.add("--trainers: name at least one trainer count");
    } else {
      for (Integer k : trainers) {
        if (k == null || k < 1 || k > MAX_TRAINERS) {
          out.add("--trainers: each count must be 1 to " + MAX_TRAINERS + ", got " + k);
        }
      }
    }
    if (timeoutMinutes < 1) {
      out.add("--timeout-minutes: must be at least 1, got " + timeoutMinutes);
    }
    return out;
  }

  private String specText() throws IOException {
    if (jobFile != null) {
      return Files.readString(jobFile);
    }
    try (InputStream in = FleetBench.class.getResourceAsStream(DEFAULT_JOB)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private FleetRun runBatch(JobSpec job, int k, Path runDir, PrintStream console)
      throws InterruptedException {
    return runBatch(
        repo,
        Collections.nCopies(jobs, job),
        k,
        pinTrainers,
        runDir,
        timeoutMinutes,
        "at once",
        console);
  }

  /**
   * Starts a fresh local fleet with {@code k} trainer instances (its logs under {@code runDir}),
   * waits until the trainers hold their partitions, submits {@code specs} in order, follows each
   * job to its verdict and reads back every job's events and each trainer's share; stops the fleet.
   * Shared by the benchmarks that run jobs through the fleet ({@code fleet}, {@code remedy}).
   *
   * @param pinTrainers each trainer on a CPU of its own ({@link LocalFleet#start(Path, Path,
   *     String, int, int, int, boolean)})
   * @param label how the submission is described in the progress line ("at once")
   * @throws FleetStartException when the fleet does not start
   * @throws IllegalStateException when a service dies or the batch outlasts {@code timeoutMinutes}
   */
  static FleetRun runBatch(
      Path repo,
      List<JobSpec> specs,
      int k,
      boolean pinTrainers,
      Path runDir,
      int timeoutMinutes,
      String label,
      PrintStream console)
      throws InterruptedException {
    console.printf(
        Locale.ROOT,
        "starting the local fleet with %d trainer instance%s (logs: %s) ...%n",
        k,
        k == 1 ? "" : "s",
        runDir.resolve("logs"));
    long t0 = System.nanoTime();
    try (LocalFleet fleet =
        LocalFleet.start(
            repo.toAbsolutePath(), runDir.toAbsolutePath(), null, 0, k, 0, pinTrainers)) {
      if (pinTrainers) {
        console.println("trainers pinned: " + fleet.trainerCpus());
      }
      awaitTrainersAssigned(fleet.bootstrapServers(), k, console);
      double startSeconds = (System.nanoTime() - t0) / 1e9;
      console.printf(Locale.ROOT, "fleet ready in %.0f s%n", startSeconds);
      try (EventTail tail = new EventTail(fleet.bootstrapServers(), Topics.EVENT_TOPICS)) {
        JobClient client = new JobClient(fleet.url(fleet.trainers().get(0)), fleet.token());
        List<String> ids = new ArrayList<>();
        for (JobSpec spec : specs) {
          ids.add(client.submit(spec.toJson()));
        }
        console.printf(Locale.ROOT, "submitted %d job(s) %s%n", ids.size(), label);
        long deadline = System.nanoTime() + Duration.ofMinutes(timeoutMinutes).toNanos();
        Map<String, List<QatEvent>> events = new LinkedHashMap<>();
        for (int i = 0; i < ids.size(); i++) {
          String prefix =
              String.format(Locale.ROOT, "  [%d trainer(s), job %d/%d] ", k, i + 1, ids.size());
          JobSummary summary =
              JobFollower.follow(
                  tail,
                  ids.get(i),
                  line -> {
                    if (line.startsWith("> ")) {
                      console.println(prefix + line.substring(2));
                    }
                  },
                  () -> {
                    fleet.requireAlive();
                    if (System.nanoTime() > deadline) {
                      throw new IllegalStateException(
                          "the batch did not finish within " + timeoutMinutes + " minutes");
                    }
                  });
          if (!summary.finished()) {
            console.println(prefix + "stopped without a verdict: a service rejected it");
          }
        }
        for (String id : ids) {
          events.put(id, tail.ofJob(id).stream().map(EventTail.Seen::event).toList());
        }
        List<TrainerShare> shares = new ArrayList<>();
        for (String instance : fleet.trainers()) {
          String metrics = metricsText(fleet.managementUrl(instance));
          shares.add(
              new TrainerShare(
                  instance,
                  count(metrics, "qat_train_duration_seconds_count", "baseline"),
                  count(metrics, "qat_train_duration_seconds_count", "qat")));
        }
        return new FleetRun(k, startSeconds, ids, events, shares);
      }
    }
  }

  /**
   * Waits until the trainers' consumer group is stable with each of the {@code k} instances holding
   * partitions of {@code qat.jobs} and of {@code qat.train}: a service is ready before its
   * consumers have joined the group, and jobs submitted during that rebalance would be placed (and
   * measured) against an assignment that is about to change. Jobs per hour is about a running
   * fleet, so its start includes this wait.
   */
  private static void awaitTrainersAssigned(String bootstrap, int k, PrintStream console)
      throws InterruptedException {
    long deadline = System.nanoTime() + GROUP_WAIT.toNanos();
    String last = "not described yet";
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      while (System.nanoTime() < deadline) {
        try {
          ConsumerGroupDescription group =
              admin
                  .describeConsumerGroups(List.of(TRAINER_GROUP))
                  .describedGroups()
                  .get(TRAINER_GROUP)
                  .get(10, TimeUnit.SECONDS);
          long jobs = membersHolding(group, Topics.JOBS);
          long train = membersHolding(group, Topics.TRAIN);
          last = group.groupState() + ", " + jobs + " holding qat.jobs, " + train + " qat.train";
          if (group.groupState() == GroupState.STABLE && jobs == k && train == k) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          last = e.getMessage();
        }
        Thread.sleep(500);
      }
    }
    console.printf(
        Locale.ROOT,
        "warning: the trainers' group was not stable with %d instance(s) holding partitions after"
            + " %d s (%s); submitting anyway%n",
        k,
        GROUP_WAIT.toSeconds(),
        last);
  }

  private static long membersHolding(ConsumerGroupDescription group, String topic) {
    return group.members().stream()
        .filter(
            m -> m.assignment().topicPartitions().stream().anyMatch(tp -> tp.topic().equals(topic)))
        .count();
  }

  private static String metricsText(String baseUrl) throws InterruptedException {
    try {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(baseUrl + "/q/metrics"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : "";
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * The value of a Prometheus sample {@code metric} with labels {@code stage="<stage>"} and {@code
   * outcome="ok"}, as a whole number; -1 when there is no such sample.
   */
  static long count(String prometheusText, String metric, String stage) {
    for (String line : prometheusText.split("\\R")) {
      if (!line.startsWith(metric + "{")) {
        continue;
      }
      int close = line.lastIndexOf('}');
      if (close < 0) {
        continue;
      }
      String labels = line.substring(metric.length() + 1, close);
      if (labels.contains("stage=\"" + stage + "\"") && labels.contains("outcome=\"ok\"")) {
        try {
          return Math.round(Double.parseDouble(line.substring(close + 1).trim().split("\\s+")[0]));
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }
}
