package io.qatfleet.bench;

import io.qatfleet.cli.fleet.EventTail;
import io.qatfleet.cli.fleet.FleetStartException;
import io.qatfleet.cli.fleet.JobClient;
import io.qatfleet.cli.fleet.JobFollower;
import io.qatfleet.cli.fleet.JobSummary;
import io.qatfleet.cli.fleet.LocalFleet;
import io.qatfleet.core.job.JobSpec;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code qat bench fleet}: a batch of identical jobs through the local fleet (broker and packaged
 * services as processes), once per trainer count. For every approved job its wall time is split
 * into training, calibration, validation and the rest ({@link StageSplit}); for every trainer
 * count, the batch's jobs per hour ({@link Throughput}). Each trainer count gets a fresh fleet, so
 * the runs start alike.
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

  /** What one trainer instance trained, from its {@code /q/metrics}. */
  record TrainerShare(String instance, long baselines, long qatRounds) {}

  /** One fleet's batch. */
  record FleetRun(
      int trainers,
      double fleetStartSeconds,
      List<String> jobIds,
      Map<String, List<QatEvent>> events,
      List<TrainerShare> shares) {

    Throughput throughput() {
      return Throughput.of(events.values());
    }

    List<StageSplit> splits() {
      List<StageSplit> out = new ArrayList<>();
      events.forEach((id, e) -> StageSplit.of(id, e).ifPresent(out::add));
      return out;
    }
  }

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
        System.err.println("qat: " + e.getMessage());
        if (!e.logTail().isBlank()) {
          System.err.println("--- last lines of its log ---\n" + e.logTail());
        }
        return 1;
      }
    }
    String text =
        BenchReport.header(
                "Fleet pipeline: where a job's time goes, and jobs per hour",
                machine,
                command,
                load)
            + report(
                describe(job, jobFile == null ? "built-in" : jobFile.toString()),
                jobs,
                runs,
                Runtime.getRuntime().availableProcessors());
    console.println();
    BenchReport.publish(text, out, console);
    boolean allApproved =
        runs.stream().allMatch(r -> r.throughput().approved() == r.jobIds().size());
    return allApproved ? 0 : 1;
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
    console.printf(
        Locale.ROOT,
        "starting the local fleet with %d trainer instance%s (logs: %s) ...%n",
        k,
        k == 1 ? "" : "s",
        runDir.resolve("logs"));
    long t0 = System.nanoTime();
    try (LocalFleet fleet =
        LocalFleet.start(repo.toAbsolutePath(), runDir.toAbsolutePath(), null, 0, k)) {
      double startSeconds = (System.nanoTime() - t0) / 1e9;
      console.printf(Locale.ROOT, "fleet ready in %.0f s%n", startSeconds);
      try (EventTail tail = new EventTail(fleet.bootstrapServers(), Topics.EVENT_TOPICS)) {
        JobClient client = new JobClient(fleet.url(fleet.trainers().get(0)));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
          ids.add(client.submit(job.toJson()));
        }
        console.printf(Locale.ROOT, "submitted %d job(s) at once%n", ids.size());
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
          String metrics = metricsText(fleet.url(instance));
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

  /** One line naming the job: its name, data, model, quantization and epochs. */
  static String describe(JobSpec job, String source) {
    var d = job.data();
    var q = job.quantization();
    var t = job.training();
    return String.format(
        Locale.ROOT,
        "`%s` (%s): %s, train limit %s, test limit %s, calibration %d images; %s; W%dA%d"
            + " (first/last %d-bit) %s; float %d, QAT %d, calibration %d epoch(s), up to %d"
            + " round(s)",
        job.name(),
        source,
        d.dataset(),
        limit(d.trainLimit()),
        limit(d.testLimit()),
        d.calibrationSize(),
        job.model().architecture().name().toLowerCase(Locale.ROOT),
        q.weightBits(),
        q.activationBits(),
        q.firstLastBits(),
        q.method().name().toLowerCase(Locale.ROOT),
        t.floatEpochs(),
        t.qatEpochs(),
        t.calibrationEpochs(),
        job.maxRounds());
  }

  private static String limit(Integer n) {
    return n == null || n == 0 ? "all" : Integer.toString(n);
  }

  /** The tables and notes below the header. */
  static String report(String job, int jobs, List<FleetRun> runs, int cores) {
    StringBuilder out = new StringBuilder();
    out.append("Job: ")
        .append(job)
        .append(String.format(Locale.ROOT, "; %d submitted at once to each fleet.%n%n", jobs));
    out.append("## Where each approved job's wall time goes\n\n");
    MarkdownTable split =
        new MarkdownTable(
            "trainers",
            "job",
            "rounds",
            "wall s",
            "training s (%)",
            "calibration s (%)",
            "validation s (%)",
            "other s (%)",
            "float baseline evaluation s (beside QAT)");
    List<StageSplit> all = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (FleetRun run : runs) {
      int index = 0;
      for (String id : run.jobIds()) {
        index++;
        Optional<StageSplit> s = StageSplit.of(id, run.events().get(id));
        if (s.isEmpty()) {
          split.row(
              Integer.toString(run.trainers()),
              Integer.toString(index),
              "—",
              "not approved",
              "—",
              "—",
              "—",
              "—",
              "—");
          continue;
        }
        StageSplit x = s.get();
        all.add(x);
        x.missing().forEach(m -> missing.add("job " + id + ": " + m));
        split.row(
            Integer.toString(run.trainers()),
            Integer.toString(index),
            Integer.toString(x.rounds()),
            String.format(Locale.ROOT, "%.1f", x.wallSeconds()),
            part(x, x.trainingSeconds()),
            part(x, x.calibrationSeconds()),
            part(x, x.validationSeconds()),
            part(x, x.otherSeconds()),
            String.format(Locale.ROOT, "%.1f", x.baselineEvaluationSeconds()));
      }
    }
    out.append(split.render()).append('\n');
    if (!all.isEmpty()) {
      out.append(whereOtherGoes(runs)).append('\n');
      out.append(
          String.format(
              Locale.ROOT,
              "Share of the wall time over the %d approved job(s), median (min–max): training %s %%,"
                  + " calibration %s %%, validation %s %%, other %s %%.%n%n",
              all.size(),
              share(all, StageSplit::trainingSeconds),
              share(all, StageSplit::calibrationSeconds),
              share(all, StageSplit::validationSeconds),
              share(all, StageSplit::otherSeconds)));
      double medianOther =
          Stats.of(all.stream().map(x -> x.percentOfWall(x.otherSeconds())).toList()).median();
      out.append(
          String.format(
              Locale.ROOT,
              "Goal: other ≤ 3 %% of a job's wall time. Median here: %.1f %%; %s%n%n",
              medianOther,
              jobs == 1
                  ? (medianOther <= 3 ? "met." : "not met.")
                  : "not a verdict: with "
                      + jobs
                      + " jobs at once, other includes the time each job waited behind the"
                      + " others (run with --jobs 1 for a job alone)."));
    }
    if (!missing.isEmpty()) {
      out.append("Stage times the events did not carry (counted as 0): ")
          .append(String.join("; ", missing))
          .append(".\n\n");
    }
    out.append("## Jobs per hour\n\n");
    MarkdownTable throughput =
        new MarkdownTable(
            "trainers",
            "approved / submitted",
            "first submission → last approval s",
            "jobs/hour",
            "vs " + (runs.isEmpty() ? "first" : runs.get(0).trainers() + " trainer(s)"),
            "job wall s, median (min–max)",
            "baselines + QAT rounds per trainer instance",
            "fleet start s");
    double reference = runs.isEmpty() ? Double.NaN : runs.get(0).throughput().jobsPerHour();
    for (FleetRun run : runs) {
      Throughput t = run.throughput();
      List<Double> walls = run.splits().stream().map(StageSplit::wallSeconds).toList();
      throughput.row(
          Integer.toString(run.trainers()) + (run == runs.get(0) ? " (baseline)" : ""),
          t.approved() + " / " + t.submitted(),
          t.approved() == 0 ? "—" : String.format(Locale.ROOT, "%.1f", t.span().toNanos() / 1e9),
          Double.isNaN(t.jobsPerHour()) ? "—" : String.format(Locale.ROOT, "%.1f", t.jobsPerHour()),
          Double.isNaN(t.jobsPerHour()) || Double.isNaN(reference)
              ? "—"
              : String.format(Locale.ROOT, "%.2f×", t.jobsPerHour() / reference),
          walls.isEmpty() ? "—" : BenchReport.quote(Stats.of(walls), 1),
          shares(run.shares()),
          String.format(Locale.ROOT, "%.0f", run.fleetStartSeconds()));
    }
    out.append(throughput.render()).append('\n');
    out.append(notes(cores));
    return out.toString();
  }

  /** The other time of each approved job by the service it was spent in. */
  private static String whereOtherGoes(List<FleetRun> runs) {
    List<String> header = new ArrayList<>(List.of("trainers", "job"));
    StageSplit.PLACES.forEach(p -> header.add(p + " s"));
    header.add("other s");
    MarkdownTable table = new MarkdownTable(header.toArray(String[]::new));
    for (FleetRun run : runs) {
      int index = 0;
      for (String id : run.jobIds()) {
        index++;
        List<QatEvent> events = run.events().get(id);
        Optional<StageSplit> s = StageSplit.of(id, events);
        if (s.isEmpty()) {
          continue;
        }
        List<String> row =
            new ArrayList<>(List.of(Integer.toString(run.trainers()), Integer.toString(index)));
        s.get()
            .otherByPlace(JobSummary.of(id, events).stageTimes())
            .values()
            .forEach(v -> row.add(String.format(Locale.ROOT, "%.1f", v)));
        row.add(String.format(Locale.ROOT, "%.1f", s.get().otherSeconds()));
        table.row(row.toArray(String[]::new));
      }
    }
    return "Where the other time goes: in a service, a stage's time from the event that requested"
        + " it to the event it published, less its computation (waiting for the service, loading"
        + " the dataset, the QAT round's observer pass, fetching, decoding, encoding and putting"
        + " checkpoints); between stages, the wall time no stage covers (event delivery).\n\n"
        + table.render();
  }

  private static String part(StageSplit x, double seconds) {
    return String.format(Locale.ROOT, "%.1f (%.1f %%)", seconds, x.percentOfWall(seconds));
  }

  private static String share(List<StageSplit> splits, ToDoubleFunction<StageSplit> seconds) {
    return BenchReport.quote(
        Stats.of(splits.stream().map(x -> x.percentOfWall(seconds.applyAsDouble(x))).toList()), 1);
  }

  private static String shares(List<TrainerShare> shares) {
    List<String> parts = new ArrayList<>();
    for (TrainerShare s : shares) {
      parts.add(
          s.baselines() < 0
              ? s.instance() + ": ?"
              : s.instance() + ": " + s.baselines() + " + " + s.qatRounds());
    }
    return String.join(", ", parts);
  }

  private static String notes(int cores) {
    return String.format(
        Locale.ROOT,
        """
        Notes:

        - **Wall time** of a job: from its `JobSubmitted` (stamped by the trainer's job API) to its
          `ModelApproved` (stamped by the validator), both from the events on the topics; all
          processes run on this machine's clock.
        - **Training** = `trainingMetrics.seconds` of every `FloatCheckpointReady` (float baseline and
          QAT rounds: building the training graph and running the epochs). **Calibration** =
          `calibrationSeconds` + `projectionSeconds` of every `QuantizedModelReady`. **Validation**
          = `quantizedMetrics.evaluationSeconds` of every `ValidationCompleted` (integer engine and
          fake-quant graph on the test split). **Other** = wall − those three: dataset loading in
          each service, the QAT round's observer pass, checkpoint encoding, hashing, transfer and
          decoding, Kafka delivery and polling, JVM warm-up, and waiting for a busy service.
        - **Float baseline evaluation**: the validator evaluates the float baseline while the
          trainer runs QAT round 1, so it is off the job's critical path and not subtracted; it
          competes with training for the CPU, which shows in the training seconds.
        - **Jobs per hour**: approved jobs / (last `ModelApproved` − first `JobSubmitted`) of a
          batch submitted at once; each trainer count gets a fresh fleet (broker and services), whose
          start-up is outside every job's wall time (last column, for reference).
        - **Trainer instances** share one consumer group. `qat.jobs` and `qat.train` have %d
          partitions each and a job's events are keyed by its id, so the partition a job id hashes
          to decides which instance trains it; with two instances one holds two partitions and the
          other one, so how evenly they share depends on the job ids. One instance runs a baseline
          (`qat.jobs`) and a QAT round (`qat.train`) at the same time, each channel in order. The
          per-instance column is read from each instance's `qat_train_duration_seconds_count`. There
          is one quantizer and one validator.
        - **Cores**: this machine has %d. TensorFlow in each trainer uses every core, so on a small
          machine two trainer instances mostly compete for the same cores rather than add capacity.
        """,
        Topics.WORK_PARTITIONS,
        cores);
  }
}
