package io.qatfleet.bench;

import io.qatfleet.bench.QualityGrid.Budget;
import io.qatfleet.bench.QualityGrid.Variant;
import io.qatfleet.cli.BitWidths;
import io.qatfleet.cli.fleet.FleetStartException;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.core.job.Strategy;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.quant.Granularity;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code qat bench remedy}: the remedy loop against quality.md's W2A2 goal, through the real fleet.
 * Per seed one job with quality.md's budget (Fashion-MNIST CNN, 10,000 training images, the full
 * test set, 4 float + 1 QAT epoch, LSQ+PACT per-channel, first and last layers 8-bit), a bar of at
 * most {@code --max-drop-pp} accuracy lost against the float baseline and {@code maxRounds} rounds,
 * no {@code maxBits} (so no bits are raised): a missed round goes back with the validator's remedy.
 * The fleet is started and followed as {@code qat bench fleet} does ({@link FleetBench#runBatch});
 * {@link RemedyReport} reads each job's rounds from its events and writes the tables.
 */
@Command(
    name = "remedy",
    mixinStandardHelpOptions = true,
    description =
        "The remedy loop through the local fleet: W2A2 Fashion-MNIST CNN jobs on quality.md's"
            + " budget with a bar of 4 pp and maxRounds 3, one per seed; each round's accuracy and"
            + " remedy.")
public final class RemedyBench implements Callable<Integer> {
  static final int MAX_SEEDS = 10;

  @Spec CommandSpec spec;

  @Option(
      names = "--seeds",
      split = ",",
      defaultValue = "1,2,3",
      description = "One job per seed (default ${DEFAULT-VALUE}).")
  List<Long> seeds;

  @Option(names = "--bits", defaultValue = "W2A2", description = "Bit width (default W2A2).")
  String bits;

  @Option(
      names = "--max-drop-pp",
      defaultValue = "4",
      description = "The bar: accuracy lost against float, in points (default ${DEFAULT-VALUE}).")
  double maxDropPp;

  @Option(
      names = "--max-rounds",
      defaultValue = "3",
      description = "The job's maxRounds (default ${DEFAULT-VALUE}).")
  int maxRounds;

  @Option(names = "--train-limit", defaultValue = "10000", description = "Training images.")
  int trainLimit;

  @Option(names = "--test-limit", defaultValue = "0", description = "Test images (0 = all).")
  int testLimit;

  @Option(names = "--float-epochs", defaultValue = "4")
  int floatEpochs;

  @Option(names = "--qat-epochs", defaultValue = "1", description = "QAT epochs of round 1.")
  int qatEpochs;

  @Option(names = "--batch-size", defaultValue = "128")
  int batch;

  @Option(
      names = "--timeout-minutes",
      defaultValue = "120",
      description = "Give up after this long (default ${DEFAULT-VALUE}).")
  int timeoutMinutes;

  @Option(
      names = "--out",
      defaultValue = "docs/benchmarks/remedy.md",
      description = "Markdown file the tables go to (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--runs-dir",
      defaultValue = "runs",
      description =
          "Where the fleet's logs go, under bench-remedy-<time>/ (default ${DEFAULT-VALUE}).")
  Path runsDir;

  @Option(
      names = "--repo",
      description = "Repository root holding the packaged services (default: QAT_HOME or .).")
  Path repo = Path.of(System.getenv().getOrDefault("QAT_HOME", "."));

  @Override
  public Integer call() throws IOException, InterruptedException {
    List<String> problems =
        problems(
            seeds,
            maxDropPp,
            maxRounds,
            trainLimit,
            testLimit,
            floatEpochs,
            qatEpochs,
            batch,
            timeoutMinutes);
    if (!problems.isEmpty()) {
      throw new ParameterException(spec.commandLine(), String.join("; ", problems));
    }
    int[] wa;
    try {
      wa = BitWidths.parse(bits);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--bits: " + e.getMessage());
    }
    Budget budget = new Budget(trainLimit, testLimit, floatEpochs, qatEpochs, batch);
    List<JobSpec> jobs = new ArrayList<>();
    for (long seed : seeds) {
      JobSpec job = job(seed, budget, wa[0], wa[1], maxDropPp, maxRounds);
      job.requireValid();
      jobs.add(job);
    }
    PrintStream console = System.out;
    String command = BenchReport.command(spec.commandLine().getParseResult().originalArgs());
    MachineInfo machine = MachineInfo.current();
    double load = BenchReport.loadAverage();
    Path runDir =
        runsDir.resolve(
            "bench-remedy-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    FleetRun run;
    try {
      run = FleetBench.runBatch(repo, jobs, 1, false, runDir, timeoutMinutes, "at once", console);
    } catch (FleetStartException e) {
      return FleetBench.startFailed(e);
    }
    List<RemedyReport.Seed> results = new ArrayList<>();
    for (int i = 0; i < seeds.size(); i++) {
      String id = run.jobIds().get(i);
      results.add(RemedyReport.Seed.of(seeds.get(i), id, run.events().get(id)));
    }
    String text =
        BenchReport.header(
                "The remedy loop: W2A2 within 4 pp of float inside maxRounds",
                machine,
                command,
                load)
            + RemedyReport.markdown(
                FleetReport.describe(jobs.get(0), "seed " + seeds.get(0) + " shown"),
                results,
                maxDropPp,
                maxRounds,
                qatEpochs)
            + notes();
    console.println();
    BenchReport.publish(text, out, console);
    return results.stream().allMatch(r -> r.approvedRound() != null || r.failed()) ? 0 : 1;
  }

  /**
   * The job of one seed: quality.md's LSQ+PACT per-channel row at {@code w}/{@code a} bits (first
   * and last layers 8-bit, {@link QualityGrid#job}), with the bar, {@code maxRounds} and strategy
   * {@code qat}; no {@code maxBits}.
   */
  static JobSpec job(long seed, Budget budget, int w, int a, double maxDropPp, int maxRounds) {
    JobSpec base =
        QualityGrid.job(
            "fashion-mnist",
            Architecture.CNN,
            seed,
            budget,
            new Variant("lsq_pact", w, a, Granularity.PER_CHANNEL));
    return new JobSpec(
        String.format(Locale.ROOT, "bench-remedy-w%da%d-seed%d", w, a, seed),
        base.data(),
        base.model(),
        base.quantization(),
        base.training(),
        Map.of("accuracy", new MetricThreshold(null, maxDropPp / 100, null)),
        maxRounds,
        null,
        Strategy.QAT);
  }

  /** What is wrong with the arguments; empty when nothing is. */
  static List<String> problems(
      List<Long> seeds,
      double maxDropPp,
      int maxRounds,
      int trainLimit,
      int testLimit,
      int floatEpochs,
      int qatEpochs,
      int batch,
      int timeoutMinutes) {
    List<String> out = new ArrayList<>();
    if (seeds == null || seeds.isEmpty() || seeds.size() > MAX_SEEDS) {
      out.add("--seeds: name 1 to " + MAX_SEEDS + " seeds");
    } else if (seeds.stream().distinct().count() != seeds.size()) {
      out.add("--seeds: each seed once, got " + seeds);
    }
    if (!(maxDropPp > 0 && maxDropPp <= 100)) {
      out.add("--max-drop-pp: must be in (0, 100], got " + maxDropPp);
    }
    if (maxRounds < 1 || maxRounds > 10) {
      out.add("--max-rounds: must be 1 to 10, got " + maxRounds);
    }
    if (trainLimit < 0 || testLimit < 0) {
      out.add("--train-limit/--test-limit: must be >= 0");
    }
    if (floatEpochs < 1 || qatEpochs < 1 || batch < 1) {
      out.add("--float-epochs/--qat-epochs/--batch-size: must be >= 1");
    }
    if (timeoutMinutes < 1) {
      out.add("--timeout-minutes: must be at least 1, got " + timeoutMinutes);
    }
    return out;
  }

  private static String notes() {
    return """
        Notes:

        - **Accuracy** is the validator's, the number its bar judges: the round's integer model
          (`model.onnx` in ONNX Runtime, checked against the integer engine) on the full test split,
          against the float baseline the validator evaluated on the same split. quality.md's Δ is
          the fake-quantized graph's (its `--integer` off) against the same seed's float model;
          the integer engine agrees with that graph on practically every test image, but the two
          are not the same measurement.
        - **Rounds**: round 1 trains the job's QAT epochs from the float baseline; a missed round
          goes back (`RetrainRequested`) with the validator's remedy (docs/fleet.md, "The remedy
          policy") and the next round starts from the missed round's calibrated checkpoint (its
          float shadow weights with their learned step sizes), so the epochs add up (the
          cumulative column). Round 0 is post-training quantization, reported
          beside and never approved under strategy `qat`. With no `maxBits`, no layer's bits are
          raised.
        - **The one-round budget** of quality.md is round 1 here; every later round is extra QAT
          training that budget does not have.
        """;
  }
}
