package io.qatfleet.bench;

import io.qatfleet.cli.BitWidths;
import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.job.DataSpec;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelGraph;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.pipeline.QatPipeline;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.FitOptions;
import io.qatfleet.core.train.LrSchedule;
import io.qatfleet.core.train.Trainer;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.core.train.TrainingSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code qat bench speed}: samples/s of one float training step and one QAT step per method, at
 * each batch size, for our trainer and the PyTorch peer in the same run (alternating rounds, so
 * both see the same machine load), against the CPU's FP32 peak.
 */
@Command(
    name = "speed",
    mixinStandardHelpOptions = true,
    description =
        "Training-step throughput, float and QAT per method, ours vs PyTorch, vs the CPU's FP32"
            + " peak; writes docs/benchmarks/speed.md.")
public final class SpeedCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--models", split = ",", defaultValue = "cnn,mlp")
  List<Architecture> models;

  @Option(names = "--batches", split = ",", defaultValue = "64,256")
  List<Integer> batches;

  @Option(names = "--bits", defaultValue = "W4A4", description = "Bit widths of the QAT steps.")
  String bits;

  @Option(names = "--methods", split = ",", defaultValue = "ste,lsq,lsq_pact")
  List<QatMethod> methods;

  @Option(names = "--steps", defaultValue = "30", description = "Steps per timed repeat.")
  int steps;

  @Option(names = "--repeats", defaultValue = "5", description = "Timed repeats per round.")
  int repeats;

  @Option(names = "--rounds", defaultValue = "2", description = "Rounds of ours-then-PyTorch.")
  int rounds;

  @Mixin PeerOptions peerOptions;

  @Option(
      names = "--profile-batch",
      defaultValue = "256",
      description = "Batch size of the traced steps that split a step's time by op type.")
  int profileBatch;

  @Option(names = "--profile-steps", defaultValue = "10")
  int profileSteps;

  @Option(names = "--out", defaultValue = "docs/benchmarks/speed.md")
  Path out;

  /** One timed configuration: its label and the samples/s of every repeat. */
  record Measured(String model, String phase, int batch, List<Double> samplesPerSecond) {}

  @Override
  public Integer call() throws IOException {
    int[] wa;
    try {
      wa = BitWidths.parse(bits);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--bits: " + e.getMessage());
    }
    if (steps < 1 || repeats < 1 || rounds < 1 || batches.stream().anyMatch(b -> b < 1)) {
      throw new ParameterException(
          spec.commandLine(), "--steps, --repeats, --rounds and --batches must be >= 1");
    }
    PrintStream log = System.out;
    double loadAtStart = BenchReport.loadAverage();
    TorchPeer peer = peerOptions.find(log);
    PeerBlas peerBlas = null;
    if (peer != null) {
      peerBlas = peer.blas();
      log.println(peerBlas.describe());
      if (!peerBlas.optimized()) {
        System.err.println("qat bench speed: no comparison written: " + peerBlas.refusal());
        return 2;
      }
    }
    Map<String, Measured> ours = new LinkedHashMap<>();
    Map<String, Measured> theirs = new LinkedHashMap<>();
    Path peerOut = Files.createTempFile("qat-speed-peer", ".json");
    for (int round = 1; round <= rounds; round++) {
      log.printf(Locale.ROOT, "round %d/%d: ours%n", round, rounds);
      for (Architecture model : models) {
        for (int batch : batches) {
          measureOurs(model, batch, wa, ours, log);
        }
      }
      if (peer != null) {
        log.printf(Locale.ROOT, "round %d/%d: pytorch%n", round, rounds);
        for (Architecture model : models) {
          peer.run(
              List.of(
                  "speed",
                  "--model",
                  QualityGrid.name(model),
                  "--batches",
                  String.join(",", batches.stream().map(String::valueOf).toList()),
                  "--threads",
                  Integer.toString(peerOptions.threads),
                  "--steps",
                  Integer.toString(steps),
                  "--repeats",
                  Integer.toString(repeats),
                  "--out",
                  peerOut.toString()),
              log);
          PeerBlas ran = SpeedReport.readPeerBlas(peerOut);
          if (!ran.optimized()) { // the system changed under the run: say so, write nothing
            throw new IllegalStateException("no comparison written: " + ran.refusal());
          }
          SpeedReport.readPeer(peerOut).forEach(m -> merge(theirs, m));
        }
      }
    }
    Files.deleteIfExists(peerOut);
    Map<String, Map<String, Map<String, Long>>> profiles = new LinkedHashMap<>();
    for (Architecture model : models) {
      log.printf(Locale.ROOT, "profiling %s at batch %d%n", QualityGrid.name(model), profileBatch);
      Map<String, Map<String, Long>> byPhase = new LinkedHashMap<>();
      for (String phase : phases()) {
        Setup setup = setup(model, phase, profileBatch, wa, profileSteps);
        try (ModelGraph graph = ModelGraph.build(setup.config(), setup.state())) {
          Dataset data = setup.data();
          Trainer trainer = new Trainer(graph);
          trainer.profileTrainSteps(data, profileBatch, 2, 1e-4f); // warm-up
          byPhase.put(phase, trainer.profileTrainSteps(data, profileBatch, profileSteps, 1e-4f));
        }
      }
      profiles.put(QualityGrid.name(model), byPhase);
    }
    String body =
        new SpeedReport(
                    CpuPeak.current(),
                    CpuPeak.measureMatmul(),
                    flopsPerSample(),
                    wa,
                    peerOptions.threads,
                    peerBlas)
                .render(List.copyOf(ours.values()), List.copyOf(theirs.values()))
            + SpeedReport.profile(profiles, profileBatch, profileSteps);
    BenchReport.publish(
        BenchReport.header(
                "Training speed: float and QAT steps, ours and PyTorch's, against the CPU's peak",
                MachineInfo.current(),
                BenchReport.command(spec.commandLine().getParseResult().originalArgs()),
                loadAtStart)
            + body,
        out,
        log);
    return 0;
  }

  private Map<String, Double> flopsPerSample() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Architecture model : models) {
      out.put(QualityGrid.name(model), trainingFlopsPerSample(spec(model)));
    }
    return out;
  }

  /**
   * FLOPs of one training step per sample: forward 2·MACs of the convolutions and dense layers,
   * backward twice that (input and weight gradients). Element-wise ops, pooling and the optimizer
   * are left out, so the fraction of peak is if anything flattering.
   */
  static double trainingFlopsPerSample(ModelSpec spec) {
    double macs = 0;
    for (LayerShape l : LayerShape.of(spec)) {
      macs +=
          l.conv()
              ? (double) l.height() * l.width() * l.kernelSize()
              : (double) l.inChannels() * l.outChannels();
    }
    return 3 * 2 * macs;
  }

  private static ModelSpec spec(Architecture model) {
    return new ModelSpec(model, null, null, null, null, null, null);
  }

  private List<String> phases() {
    List<String> phases = new ArrayList<>();
    phases.add("float");
    methods.forEach(m -> phases.add("qat " + m.name().toLowerCase(Locale.ROOT)));
    return phases;
  }

  /** A graph configuration, its starting state and {@code steps} batches of training images. */
  private record Setup(ModelGraph.Config config, ModelState state, Dataset data) {}

  private static Setup setup(Architecture model, String phase, int batch, int[] wa, int steps) {
    QatMethod method =
        phase.equals("float")
            ? QatMethod.STE
            : QatMethod.valueOf(phase.substring(4).toUpperCase(Locale.ROOT));
    JobSpec job =
        new JobSpec(
            "bench-speed",
            new DataSpec("fashion-mnist", batch * steps, 1000, null),
            spec(model),
            QuantizationSpec.of(wa[0], wa[1], method),
            new TrainingSpec(1, 1, null, batch, null, null, null, null, null, null, 42L, false),
            null,
            null);
    QatPipeline pipeline = QatPipeline.forJob(job, DatasetLoader.fromEnvironment());
    ModelState state = pipeline.initialState();
    if (phase.equals("float")) {
      return new Setup(pipeline.floatTrainingConfig(), state, pipeline.data().train());
    }
    return new Setup(
        pipeline.qatConfig(), pipeline.initQuantization(state), pipeline.data().train());
  }

  private void measureOurs(
      Architecture model, int batch, int[] wa, Map<String, Measured> ours, PrintStream log) {
    String name = QualityGrid.name(model);
    for (String phase : phases()) {
      Setup setup = setup(model, phase, batch, wa, steps);
      List<Double> rates = timeSteps(setup.config(), setup.state(), setup.data(), batch);
      merge(ours, new Measured(name, phase, batch, rates));
      log.printf(
          Locale.ROOT,
          "ours %s %s batch %d: %.0f samples/s (median of %d)%n",
          name,
          phase,
          batch,
          Stats.of(rates).median(),
          rates.size());
    }
  }

  /** Samples/s of {@code repeats} timed passes of {@code steps} steps, after a warm-up pass. */
  private List<Double> timeSteps(
      ModelGraph.Config config, ModelState state, Dataset data, int batch) {
    List<Double> rates = new ArrayList<>();
    try (ModelGraph graph = ModelGraph.build(config, state)) {
      Dataset warmup = data.subset(IntStream.range(0, Math.min(data.size(), 5 * batch)).toArray());
      Trainer trainer = new Trainer(graph);
      trainer.fit(warmup, options(batch), TrainingListener.NONE);
      for (int r = 0; r < repeats; r++) {
        rates.add(trainer.fit(data, options(batch), TrainingListener.NONE).samplesPerSecond());
      }
    }
    return rates;
  }

  private static FitOptions options(int batch) {
    return new FitOptions(1, 0, batch, 1e-4, LrSchedule.CONSTANT, 42L);
  }

  private static void merge(Map<String, Measured> into, Measured m) {
    String key = m.model() + "|" + m.phase() + "|" + m.batch();
    Measured old = into.get(key);
    if (old == null) {
      into.put(key, m);
    } else {
      List<Double> all = new ArrayList<>(old.samplesPerSecond());
      all.addAll(m.samplesPerSecond());
      into.put(key, new Measured(m.model(), m.phase(), m.batch(), all));
    }
  }
}
