package io.qatfleet.bench;

import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.train.Distillation;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code qat bench precision}: accuracy against model size for uniform weight widths and for
 * automatic mixed precision at the size of each uniform width, from one float baseline per (model,
 * seed), each without and with distillation from that float model, with the PyTorch peer beside the
 * uniform rows. Rows go to a JSON Lines file as they are measured; a rerun measures only the
 * variants a (dataset, model, seed) group lacks, from a retrained float model that must reproduce
 * the stored one (else the whole group is measured again). Two profiles: the default bench size
 * (the quality benchmark's budget) and {@code --quick}.
 */
@Command(
    name = "precision",
    mixinStandardHelpOptions = true,
    description =
        "Accuracy vs model size: uniform W8/W4/W3/W2 and automatic mixed precision at the same"
            + " sizes; writes docs/benchmarks/precision.md.")
public final class PrecisionCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--quick",
      description =
          "The quick profile: 3,000 training images, 2,000 test images, 1,000 calibration"
              + " images, 3 float epochs + 1 QAT epoch (the bench profile: 10,000 / all 10,000 /"
              + " 5,000, 4 + 1).")
  boolean quick;

  @Option(names = "--datasets", split = ",", defaultValue = "fashion-mnist")
  List<String> datasets;

  @Option(names = "--models", split = ",", defaultValue = "cnn,mlp")
  List<Architecture> models;

  @Option(names = "--seeds", split = ",", defaultValue = "1,2,3")
  List<Long> seeds;

  @Option(names = "--uniform-bits", split = ",", defaultValue = "8,4,3,2")
  List<Integer> uniformBits;

  @Option(
      names = "--auto-sizes",
      split = ",",
      defaultValue = "4,3,2",
      description = "Automatic mixed precision within the size of uniform weights of these widths.")
  List<Integer> autoSizes;

  @Option(names = "--activation-bits", defaultValue = "8")
  int activationBits;

  @Option(
      names = "--peer-models",
      split = ",",
      defaultValue = "mlp",
      description = "Models the PyTorch peer runs (its CNN is ~5x slower than ours here).")
  List<Architecture> peerModels;

  @Option(
      names = "--distillation",
      split = ",",
      defaultValue = "false,true",
      description =
          "Rows without (false) and with (true) distillation from the float model (default α, T).")
  List<Boolean> distillation;

  @Option(
      names = "--ours",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Measure our rows (--no-ours: only the PyTorch peer's).")
  boolean ours;

  @Mixin PeerOptions peerOptions;

  @Option(
      names = "--results",
      description = "Default: docs/benchmarks/data/precision[-quick].jsonl")
  Path results;

  @Option(names = "--out", description = "Default: docs/benchmarks/precision[-quick].md")
  Path out;

  @Option(names = "--report-only", description = "Render --out from --results, measure nothing.")
  boolean reportOnly;

  @Override
  public Integer call() throws IOException {
    for (int b : concat(uniformBits, autoSizes)) {
      if (b < 2 || b > 8) {
        throw new ParameterException(
            spec.commandLine(), "--uniform-bits/--auto-sizes: widths in 2..8, got " + b);
      }
    }
    if (activationBits < 2 || activationBits > 8) {
      throw new ParameterException(
          spec.commandLine(), "--activation-bits: must be in 2..8, got " + activationBits);
    }
    PrecisionGrid.Budget budget =
        quick
            ? new PrecisionGrid.Budget(3000, 2000, 1000, 3, 1, 128)
            : new PrecisionGrid.Budget(10000, 0, 5000, 4, 1, 128);
    String profile = quick ? "quick" : "bench";
    if (results == null) {
      results = Path.of("docs/benchmarks/data/precision" + (quick ? "-quick" : "") + ".jsonl");
    }
    if (out == null) {
      out = Path.of("docs/benchmarks/precision" + (quick ? "-quick" : "") + ".md");
    }
    Path peerResults = peerFile(results);
    PrintStream log = System.out;
    double loadAtStart = BenchReport.loadAverage();
    if (!reportOnly) {
      measure(budget, peerResults, log);
    }
    List<PrecisionRow> rows = PrecisionRow.read(results);
    List<QualityRow> peerRows = QualityRow.read(peerResults);
    String body = new PrecisionReport(rows, peerRows).render();
    BenchReport.publish(header(profile, budget, rows, peerRows, loadAtStart) + body, out, log);
    log.println("from " + rows.size() + " rows of " + results);
    return 0;
  }

  /** The PyTorch rows beside {@code results}: {@code precision-pytorch.jsonl} and the like. */
  static Path peerFile(Path results) {
    String name = results.getFileName().toString().replace(".jsonl", "") + "-pytorch.jsonl";
    return results.resolveSibling(name);
  }

  private void measure(PrecisionGrid.Budget budget, Path peerResults, PrintStream log) {
    List<PrecisionGrid.Variant> variants =
        PrecisionGrid.variants(uniformBits, autoSizes, distillation);
    List<PrecisionRow> rows = new ArrayList<>(PrecisionRow.read(results));
    Set<String> peerDone = new HashSet<>();
    QualityRow.read(peerResults).forEach(r -> peerDone.add(r.group()));
    TorchPeer peer = peerOptions.find(log);
    DatasetLoader loader = DatasetLoader.fromEnvironment();
    // Seed-major: an interrupted run still has every dataset and model at the first seeds.
    for (long seed : seeds) {
      for (String dataset : datasets) {
        for (Architecture model : models) {
          String name = PrecisionGrid.name(model);
          if (ours) {
            String group = PrecisionRow.OURS + "/" + dataset + "/" + name + "/" + seed;
            List<PrecisionRow> stored = rows.stream().filter(r -> r.group().equals(group)).toList();
            List<PrecisionGrid.Variant> todo = missing(stored, variants, activationBits);
            if (!todo.isEmpty()) {
              PrecisionGrid.Baseline base =
                  PrecisionGrid.trainFloat(dataset, model, seed, budget, loader, log);
              PrecisionRow storedFloat =
                  stored.stream().filter(PrecisionRow::isFloat).findFirst().orElse(null);
              if (storedFloat == null || !base.reproduces(storedFloat)) {
                if (!stored.isEmpty()) {
                  log.printf(
                      Locale.ROOT,
                      "%s: the float model (%.4f) is not the one of the stored rows (%s):"
                          + " measuring the whole group again%n",
                      group,
                      base.metrics().accuracy(),
                      storedFloat == null
                          ? "none"
                          : String.format(Locale.ROOT, "%.4f", storedFloat.accuracy()));
                  rows.removeAll(stored);
                  PrecisionRow.write(results, rows);
                }
                base.row().append(results);
                todo = variants;
              }
              PrecisionGrid.runVariants(
                  base, budget, todo, activationBits, log, row -> row.append(results));
            }
          }
          if (peer != null
              && peerModels.contains(model)
              && !peerDone.contains(QualityRow.PYTORCH + "/" + dataset + "/" + name + "/" + seed)) {
            peer.run(peerArgs(dataset, name, seed, budget, peerResults), log);
          }
        }
      }
    }
  }

  /**
   * The variants a group still lacks: all of them without its float row (the variants must start
   * from the float model they are compared with), else those without a row.
   */
  static List<PrecisionGrid.Variant> missing(
      List<PrecisionRow> group, List<PrecisionGrid.Variant> variants, int activationBits) {
    if (group.stream().noneMatch(PrecisionRow::isFloat)) {
      return variants;
    }
    Set<String> have = new HashSet<>();
    group.forEach(r -> have.add(r.variant()));
    return variants.stream().filter(v -> !have.contains(v.key(activationBits))).toList();
  }

  private List<String> peerArgs(
      String dataset, String model, long seed, PrecisionGrid.Budget b, Path peerResults) {
    List<String> bits = new ArrayList<>();
    uniformBits.forEach(w -> bits.add(w + "/" + activationBits));
    return List.of(
        "quality",
        "--dataset",
        dataset,
        "--model",
        model,
        "--seeds",
        Long.toString(seed),
        "--bits",
        String.join(",", bits),
        "--granularity",
        "per_channel",
        "--train-limit",
        Integer.toString(b.trainLimit()),
        "--test-limit",
        Integer.toString(b.testLimit()),
        "--float-epochs",
        Integer.toString(b.floatEpochs()),
        "--qat-epochs",
        Integer.toString(b.qatEpochs()),
        "--batch",
        Integer.toString(b.batch()),
        "--threads",
        Integer.toString(peerOptions.threads),
        "--out",
        peerResults.toString());
  }

  private static List<Integer> concat(List<Integer> a, List<Integer> b) {
    List<Integer> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /**
   * What the peer's rows cover: "MLP at 3 seeds, CNN at 1 seed" (the seeds with a quantized row),
   * "none" without rows.
   */
  static String peerCoverage(List<QualityRow> peer) {
    Map<String, Set<Long>> seeds = new TreeMap<>(Comparator.reverseOrder());
    peer.stream()
        .filter(r -> !r.isFloat())
        .forEach(r -> seeds.computeIfAbsent(r.model(), m -> new TreeSet<>()).add(r.seed()));
    List<String> parts = new ArrayList<>();
    seeds.forEach(
        (model, s) ->
            parts.add(
                model.toUpperCase(Locale.ROOT)
                    + " at "
                    + s.size()
                    + (s.size() == 1 ? " seed" : " seeds")));
    return parts.isEmpty() ? "none" : String.join(", ", parts);
  }

  private String header(
      String profile,
      PrecisionGrid.Budget b,
      List<PrecisionRow> rows,
      List<QualityRow> peerRows,
      double loadAtStart) {
    long seedsMeasured = rows.stream().map(PrecisionRow::seed).distinct().count();
    String distilled =
        rows.stream().anyMatch(PrecisionRow::distillation)
            ? String.format(
                Locale.ROOT,
                "With distillation (\"+ KD\" rows): the same QAT with"
                    + " `training.distillation` at its defaults, α %.1f and T %.0f (loss ="
                    + " α·CE(labels) + (1−α)·T²·KL to the float model's softened outputs), the"
                    + " seed's float model as the teacher.",
                Distillation.DEFAULT_ALPHA,
                Distillation.DEFAULT_TEMPERATURE)
            : "No row here uses distillation (they were measured before it was built).";
    return BenchReport.header(
            "Mixed precision: accuracy vs model size, uniform and automatic",
            MachineInfo.current(),
            BenchReport.command(spec.commandLine().getParseResult().originalArgs()),
            loadAtStart)
        + String.format(
            Locale.ROOT,
            "Profile: **%s** — %,d training images, %s test images, %,d calibration images,"
                + " float %d epochs then QAT %d epoch from that float model (shared by every row"
                + " of a seed), batch %d; %d seed(s) measured. Every row: LSQ weights per"
                + " channel, PACT activations at %d bits, the quantizer's calibration epoch, accuracy"
                + " of the fake-quantized graph on the test split. Uniform WN: inner layers at N"
                + " bits, first and last at 8 (the spec default). Auto at WN: `\"weightBits\":"
                + " \"auto\"` with `budget.sizeKiB` = the size of uniform WN; bits per layer from"
                + " {2, 3, 4, 8} chosen from the float model's per-layer sensitivity on the first"
                + " 2,000 calibration images (exhaustive search), then the same QAT. Size: weights"
                + " at their nominal widths plus int32 biases (3-bit levels are stored in 4-bit"
                + " fields in the checkpoint). %s PyTorch: the peer of the quality benchmark"
                + " (eager QAT, per-channel, first and last layer at 8 bits, no distillation) at"
                + " the uniform widths; its rows: %s. Raw rows: `%s`.%n%n",
            profile,
            b.trainLimit(),
            b.testLimit() == 0 ? "all 10,000" : String.format(Locale.ROOT, "%,d", b.testLimit()),
            b.calibrationSize(),
            b.floatEpochs(),
            b.qatEpochs(),
            b.batch(),
            seedsMeasured,
            activationBits,
            distilled,
            peerCoverage(peerRows),
            results);
  }
}
