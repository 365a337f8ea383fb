package io.qatfleet.bench;

import io.qatfleet.cli.BitWidths;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.model.Architecture;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code qat bench quality}: float, PTQ and each QAT method at each bit width and granularity, over
 * several seeds, for our trainer and the PyTorch peer with the same budget. Rows go to a JSON Lines
 * file as they are measured; a rerun keeps every complete (framework, dataset, model, seed) group
 * and redoes the rest, so an interrupted run resumes. The table is rendered from that file.
 */
@Command(
    name = "quality",
    mixinStandardHelpOptions = true,
    description =
        "Accuracy of PTQ and QAT (STE, LSQ, LSQ+PACT) at W8A8..W2A2, per-tensor and per-channel,"
            + " several seeds, ours and PyTorch's; writes docs/benchmarks/quality.md.")
public final class QualityCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--datasets", split = ",", defaultValue = "fashion-mnist,mnist")
  List<String> datasets;

  @Option(
      names = "--models",
      split = ",",
      defaultValue = "cnn,mlp",
      converter = ModelNames.class,
      description = "Presets: cnn, mlp, lenet5, resnet8, mobilenet-tiny.")
  List<Architecture> models;

  @Option(names = "--seeds", split = ",", defaultValue = "1,2,3")
  List<Long> seeds;

  /** The bit widths of the main tables, in column order. */
  static final String DEFAULT_BITS = "W8A8,W4A8,W4A4,W3A3,W2A2";

  @Option(names = "--bits", split = ",", defaultValue = DEFAULT_BITS)
  List<String> bits;

  @Option(
      names = "--methods",
      split = ",",
      defaultValue = "ptq_minmax,ste,lsq,lsq_pact",
      description = "Methods with per-channel weights.")
  List<String> methods;

  @Option(
      names = "--per-tensor-methods",
      split = ",",
      defaultValue = "ptq_minmax,lsq_pact",
      description = "Methods also run with per-tensor weights (empty: none).")
  List<String> perTensorMethods;

  @Option(
      names = "--hard-projection-bits",
      split = ",",
      defaultValue = "W4A4,W2A2",
      description = "Bit widths at which STE with hard projection is compared to shadow weights.")
  List<String> hardBits;

  @Option(names = "--train-limit", defaultValue = "10000", description = "Training images.")
  int trainLimit;

  @Option(names = "--test-limit", defaultValue = "0", description = "Test images (0 = all).")
  int testLimit;

  @Option(names = "--float-epochs", defaultValue = "4")
  int floatEpochs;

  @Option(names = "--qat-epochs", defaultValue = "1")
  int qatEpochs;

  @Option(names = "--batch-size", defaultValue = "128")
  int batch;

  @Option(
      names = "--integer",
      description = "Also run the integer engine and report its accuracy (much slower).")
  boolean integer;

  @Option(
      names = "--ours",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Measure our rows (--no-ours: only the PyTorch peer's).")
  boolean ours;

  @Mixin PeerOptions peerOptions;

  @Option(names = "--results", defaultValue = "docs/benchmarks/data/quality.jsonl")
  Path results;

  @Option(names = "--out", defaultValue = "docs/benchmarks/quality.md")
  Path out;

  @Option(names = "--report-only", description = "Render --out from --results, measure nothing.")
  boolean reportOnly;

  @Option(
      names = "--title",
      defaultValue = "Model quality: PTQ and QAT methods at 8 to 2 bits, ours and PyTorch's",
      description = "The report's title.")
  String title;

  @Option(
      names = "--distillation",
      description =
          "Measure only the distillation section: per seed the float model, then LSQ+PACT"
              + " per-channel at --bits without and with distillation from it (lsq_pact,"
              + " lsq_pact_kd), into --distillation-results; no PyTorch, no other method.")
  boolean distillation;

  @Option(
      names = "--distillation-results",
      defaultValue = "docs/benchmarks/data/quality-distillation.jsonl",
      description = "The distillation section's rows (rendered into --out when present).")
  Path distillationResults;

  @Override
  public Integer call() throws IOException {
    // An empty option value ("--per-tensor-methods=") means none.
    methods = nonBlank(methods);
    perTensorMethods = nonBlank(perTensorMethods);
    hardBits = nonBlank(hardBits);
    List<int[]> bitWidths = parseBits("--bits", bits);
    List<int[]> hard = parseBits("--hard-projection-bits", hardBits);
    for (String m : concat(methods, perTensorMethods)) {
      if (!QualityGrid.METHODS.contains(m)) {
        throw new ParameterException(
            spec.commandLine(), "--methods: expected one of " + QualityGrid.METHODS + ", got " + m);
      }
    }
    if (!ours && !peerOptions.torch && !reportOnly) {
      throw new ParameterException(
          spec.commandLine(), "--no-ours with --no-torch measures nothing");
    }
    if (trainLimit < 0 || testLimit < 0 || floatEpochs < 1 || qatEpochs < 1 || batch < 1) {
      throw new ParameterException(
          spec.commandLine(),
          "--train-limit/--test-limit must be >= 0, --float-epochs/--qat-epochs/--batch-size >= 1");
    }
    PrintStream log = System.out;
    double loadAtStart = BenchReport.loadAverage();
    QualityGrid.Budget budget =
        new QualityGrid.Budget(trainLimit, testLimit, floatEpochs, qatEpochs, batch);
    List<QualityGrid.Variant> variants =
        distillation
            ? QualityGrid.variants(
                List.of(QualityReport.HEADLINE_METHOD, QualityGrid.LSQ_PACT_KD),
                List.of(),
                bitWidths,
                List.of())
            : QualityGrid.variants(methods, perTensorMethods, bitWidths, hard);
    if (!reportOnly) {
      if (distillation) {
        measureDistillation(budget, variants, log);
      } else {
        measure(budget, variants, log);
      }
    }
    List<QualityRow> rows = QualityRow.read(results);
    // The distillation run measures only its section; the main tables keep their columns.
    List<String> bitOrder =
        (distillation ? List.of(DEFAULT_BITS.split(",")) : bits)
            .stream().map(String::toUpperCase).toList();
    String body = new QualityReport(rows).render(bitOrder);
    // Only the distillation rows of the models this report is about.
    Set<String> reported = new HashSet<>();
    rows.forEach(r -> reported.add(r.dataset() + "/" + r.model()));
    List<QualityRow> kdRows =
        QualityRow.read(distillationResults).stream()
            .filter(r -> reported.contains(r.dataset() + "/" + r.model()))
            .toList();
    if (!kdRows.isEmpty()) {
      body += QualityReport.distillation(kdRows, rows, distillationResults);
    }
    BenchReport.publish(header(rows, loadAtStart) + body, out, log);
    log.println(
        "from "
            + rows.size()
            + " rows of "
            + results
            + (kdRows.isEmpty() ? "" : " and " + kdRows.size() + " of " + distillationResults));
    return 0;
  }

  /**
   * The distillation section's groups: float, then every variant from it; a group missing a row is
   * measured again whole (its variants must start from the float model they are compared with).
   */
  private void measureDistillation(
      QualityGrid.Budget budget, List<QualityGrid.Variant> variants, PrintStream log) {
    Set<String> expected = new HashSet<>();
    variants.forEach(v -> expected.add(v.key()));
    List<QualityRow> rows = QualityRow.read(distillationResults);
    List<QualityRow> kept = keepCompleteGroups(rows, expected, -1);
    if (kept.size() != rows.size()) {
      QualityRow.write(distillationResults, kept);
    }
    Set<String> done = new HashSet<>();
    kept.forEach(r -> done.add(r.group()));
    DatasetLoader loader = DatasetLoader.fromEnvironment();
    for (long seed : seeds) {
      for (String dataset : datasets) {
        for (Architecture model : models) {
          String name = QualityGrid.name(model);
          if (!done.contains(QualityRow.OURS + "/" + dataset + "/" + name + "/" + seed)) {
            QualityGrid.runGroup(
                dataset,
                model,
                seed,
                budget,
                variants,
                false,
                integer,
                loader,
                log,
                row -> row.append(distillationResults));
          }
        }
      }
    }
  }

  private void measure(
      QualityGrid.Budget budget, List<QualityGrid.Variant> variants, PrintStream log)
      throws IOException {
    Set<String> expectedOurs = new HashSet<>();
    variants.forEach(v -> expectedOurs.add(v.key()));
    int expectedPeer = bits.size();
    TorchPeer peer = peerOptions.find(log);
    List<QualityRow> rows = QualityRow.read(results);
    // Rows of a framework not measured now are left alone (another process may be writing them).
    List<QualityRow> kept =
        keepCompleteGroups(rows, ours ? expectedOurs : null, peer == null ? -1 : expectedPeer);
    if (kept.size() != rows.size()) {
      QualityRow.write(results, kept);
    }
    Set<String> done = new HashSet<>();
    kept.forEach(r -> done.add(r.group()));
    DatasetLoader loader = DatasetLoader.fromEnvironment();
    Path graphs = peer == null ? null : Files.createTempDirectory("qat-peer-graphs");
    if (graphs != null) {
      graphs.toFile().deleteOnExit();
    }
    // Seed-major: an interrupted run still has every dataset and model at the first seeds.
    for (long seed : seeds) {
      for (String dataset : datasets) {
        for (Architecture model : models) {
          String name = QualityGrid.name(model);
          if (ours && !done.contains(QualityRow.OURS + "/" + dataset + "/" + name + "/" + seed)) {
            QualityGrid.runGroup(
                dataset,
                model,
                seed,
                budget,
                variants,
                true,
                integer,
                loader,
                log,
                row -> row.append(results));
          }
          if (peer != null
              && !done.contains(QualityRow.PYTORCH + "/" + dataset + "/" + name + "/" + seed)) {
            // The peer builds the graph we train, from its JSON (PeerGraph), not its own copy.
            Path graph = PeerGraph.write(name, QualityGrid.modelSpec(model), graphs);
            graph.toFile().deleteOnExit();
            peer.run(peerArgs(dataset, name, seed, graph), log);
          }
        }
      }
    }
  }

  private List<String> peerArgs(String dataset, String model, long seed, Path graph) {
    List<String> peerBits = new ArrayList<>();
    for (String b : bits) {
      int[] wa = BitWidths.parse(b);
      peerBits.add(wa[0] + "/" + wa[1]);
    }
    return List.of(
        "quality",
        "--dataset",
        dataset,
        "--model",
        model,
        "--graph",
        graph.toString(),
        "--seeds",
        Long.toString(seed),
        "--bits",
        String.join(",", peerBits),
        // Per-channel only: PyTorch's CNN QAT runs at ~1/5 of our speed on this machine.
        "--granularity",
        "per_channel",
        "--train-limit",
        Integer.toString(trainLimit),
        "--test-limit",
        Integer.toString(testLimit),
        "--float-epochs",
        Integer.toString(floatEpochs),
        "--qat-epochs",
        Integer.toString(qatEpochs),
        "--batch",
        Integer.toString(batch),
        "--threads",
        Integer.toString(peerOptions.threads),
        "--out",
        results.toString());
  }

  /**
   * The rows of groups that have their float row and every expected variant; the others are dropped
   * and measured again (their float model must be the one their variants start from). A null {@code
   * expectedOurs} keeps every row of ours, a negative {@code expectedPeerVariants} every PyTorch
   * row.
   */
  static List<QualityRow> keepCompleteGroups(
      List<QualityRow> rows, Set<String> expectedOurs, int expectedPeerVariants) {
    Map<String, Set<String>> keys = new LinkedHashMap<>();
    Map<String, Boolean> hasFloat = new LinkedHashMap<>();
    for (QualityRow r : rows) {
      keys.computeIfAbsent(r.group(), g -> new HashSet<>());
      if (r.isFloat()) {
        hasFloat.put(r.group(), true);
      } else {
        keys.get(r.group())
            .add(
                r.framework().equals(QualityRow.OURS)
                    ? QualityGrid.Variant.key(
                        r.method(), r.weightBits(), r.activationBits(), r.granularity())
                    : r.method() + " " + QualityReport.bits(r) + " " + r.granularity());
      }
    }
    Set<String> complete = new HashSet<>();
    keys.forEach(
        (group, k) -> {
          boolean ours = group.startsWith(QualityRow.OURS + "/");
          boolean all =
              ours
                  ? expectedOurs == null || k.containsAll(expectedOurs)
                  : k.stream().filter(s -> s.startsWith(QualityReport.PEER_METHOD)).count()
                      >= expectedPeerVariants;
          if (ours ? expectedOurs == null : expectedPeerVariants < 0) {
            complete.add(group);
          } else if (all && hasFloat.getOrDefault(group, false)) {
            complete.add(group);
          }
        });
    return rows.stream().filter(r -> complete.contains(r.group())).toList();
  }

  private static List<String> nonBlank(List<String> values) {
    return values.stream().map(String::trim).filter(v -> !v.isEmpty()).toList();
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private List<int[]> parseBits(String option, List<String> values) {
    List<int[]> out = new ArrayList<>();
    for (String v : values) {
      try {
        out.add(BitWidths.parse(v));
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), option + ": " + e.getMessage());
      }
    }
    return out;
  }

  /** Title, machine, command and the budget as the rows record it. */
  private String header(List<QualityRow> rows, double loadAtStart) {
    return BenchReport.header(
            title,
            MachineInfo.current(),
            BenchReport.command(spec.commandLine().getParseResult().originalArgs()),
            loadAtStart)
        + String.format(
            Locale.ROOT,
            "Budget, the same for every row and both frameworks (as the rows record it):"
                + " %s training images (a seeded split; 5,000 more are held out for"
                + " calibration), %s test images, float %s epochs (Adam 1e-3, cosine), QAT %s"
                + " epoch(s) from that float model (Adam 2e-4, cosine), batch %s; first and last"
                + " layer at 8 bits. LSQ and LSQ+PACT also get one calibration epoch over the"
                + " 5,000 held-out images with the weights frozen (the quantizer's stage). PTQ"
                + " min-max: min-max weight and activation ranges, no training. %s PyTorch: Debian's"
                + " python3-torch 1.13.1, eager-mode QAT (FakeQuantize with moving-average"
                + " min-max observers), per-channel weights, accuracy of the integer model"
                + " converted for the onednn engine (see bench/pytorch/README.md). Raw rows:"
                + " `%s`.%n%n",
            distinct(rows, QualityRow::trainSamples),
            distinct(rows, QualityRow::testSamples),
            distinct(rows, QualityRow::floatEpochs),
            distinct(rows, QualityRow::qatEpochs),
            distinct(rows, QualityRow::batch),
            oursAccuracy(rows),
            results)
        + graphPeer(rows);
  }

  /** Which accuracy our quantized rows report: the integer engine's where they have it. */
  static String oursAccuracy(List<QualityRow> rows) {
    long quantized =
        rows.stream()
            .filter(r -> r.framework().equals(QualityRow.OURS) && r.weightBits() < 32)
            .count();
    long integer =
        rows.stream()
            .filter(r -> r.framework().equals(QualityRow.OURS) && r.intAccuracy() != null)
            .count();
    if (integer == 0) {
      return "Ours: accuracy of the fake-quantized TensorFlow graph (the integer engine agrees"
          + " with it on ≥ 99.9 % of the test images in the reference runs).";
    }
    if (integer == quantized) {
      return "Ours: accuracy of the integer engine on the projected model (the fake-quantized"
          + " TensorFlow graph's is in the raw rows too).";
    }
    return String.format(
        Locale.ROOT,
        "Ours: accuracy of the integer engine on the projected model (%d of %d quantized rows;"
            + " the others the fake-quantized TensorFlow graph's, which every row also records"
            + " in the raw rows).",
        integer,
        quantized);
  }

  /**
   * How the peer builds the models that are layer graphs (all but cnn and mlp, which it builds as
   * before): what it fuses and where it must quantize values that ours keeps in int32.
   */
  static String graphPeer(List<QualityRow> rows) {
    List<String> graphs =
        rows.stream()
            .filter(r -> r.framework().equals(QualityRow.PYTORCH))
            .map(QualityRow::model)
            .filter(m -> !m.equals("cnn") && !m.equals("mlp"))
            .distinct()
            .sorted()
            .toList();
    if (graphs.isEmpty()) {
      return "";
    }
    return "PyTorch's "
        + String.join(", ", graphs)
        + ": the peer builds the layer graph we train from its JSON (`bench/pytorch/qat_peer.py"
        + " --graph`, written by qat-bench), NCHW; batch norm eps 1e-3, momentum 0.1 (ours keeps"
        + " 0.9 of the moving average); conv + batch norm (+ ReLU) fused for QAT (torch's"
        + " ConvBn(ReLU)2d: batch statistics during QAT, ours folds the moving ones), add + ReLU as"
        + " one quantized add_relu. Eager mode quantizes every value the integer kernels read: the"
        + " inputs of weight layers at that layer's bits as ours (two layers reading one value"
        + " share its quantizer, ours gives each its own); values ours keeps in int32 (conv"
        + " outputs before an add or a ReLU6, a shortcut) at 8 bits, and a weight layer reading"
        + " such a value requantizes it to its own bits.\n\n";
  }

  /** The distinct values of a budget field, "a / b" when the rows disagree. */
  private static String distinct(
      List<QualityRow> rows, java.util.function.ToIntFunction<QualityRow> field) {
    return String.join(
        " / ",
        rows.stream()
            .mapToInt(field)
            .distinct()
            .sorted()
            .mapToObj(v -> String.format(Locale.ROOT, "%,d", v))
            .toList());
  }
}
