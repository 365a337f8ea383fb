package io.qatfleet.bench;

import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.DatasetSplits;
import io.qatfleet.core.eval.ClassificationMetrics;
import io.qatfleet.core.experiment.Experiment;
import io.qatfleet.core.job.DataSpec;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.pipeline.MixedPrecisionPlan;
import io.qatfleet.core.pipeline.QatPipeline;
import io.qatfleet.core.pipeline.Sensitivity;
import io.qatfleet.core.pipeline.StageResult;
import io.qatfleet.core.precision.PrecisionCost;
import io.qatfleet.core.quant.QuantizationBudget;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.TrainingSpec;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Our side of the precision benchmark for one float baseline (dataset, model, seed): the float
 * model, then from it uniform weight widths (inner layers at W, first and last at 8 bits) and
 * automatic mixed precision at the size of each uniform width, all with the same activation bits,
 * method (LSQ weights, PACT activations, per-channel) and QAT budget. Accuracy is the fake-quant
 * graph's on the test split, as in the quality benchmark.
 */
final class PrecisionGrid {
  /** The budget every row shares. */
  record Budget(
      int trainLimit,
      int testLimit,
      int calibrationSize,
      int floatEpochs,
      int qatEpochs,
      int batch) {}

  private PrecisionGrid() {}

  /** The job of a group's float model, or of a variant with {@code quantization}. */
  static JobSpec job(
      String dataset, Architecture model, long seed, Budget budget, QuantizationSpec quantization) {
    return QualityGrid.benchJob(
        "bench-precision",
        model,
        seed,
        new DataSpec(dataset, budget.trainLimit(), budget.testLimit(), budget.calibrationSize()),
        budget.floatEpochs(),
        budget.qatEpochs(),
        budget.batch(),
        quantization,
        false);
  }

  /** Uniform: every inner layer at {@code bits}, first and last layer at 8 (the spec default). */
  static QuantizationSpec uniform(int bits, int activationBits) {
    return QuantizationSpec.of(bits, activationBits, null);
  }

  /** Automatic bits within {@code kib}. */
  static QuantizationSpec auto(int activationBits, double kib) {
    return QuantizationSpec.auto(activationBits, new QuantizationBudget(kib, null));
  }

  /** KiB of {@code model} with {@code spec}'s resolved weight bits. */
  static double kib(ModelSpec model, QuantizationSpec spec) {
    return PrecisionCost.of(model, spec).bytes(bits(model, spec)) / 1024.0;
  }

  private static int[] bits(ModelSpec model, QuantizationSpec spec) {
    return spec.resolve(model.layerCount()).stream().mapToInt(l -> l.weights().bits()).toArray();
  }

  /** One quantized row of a group: uniform or auto at {@code weightBits}, with or without KD. */
  record Variant(String method, int weightBits, boolean distillation) {
    /** "uniform W4A8", "auto W3A8 kd": as {@link PrecisionRow#variant()} names the row. */
    String key(int activationBits) {
      return method + " W" + weightBits + "A" + activationBits + (distillation ? " kd" : "");
    }
  }

  /**
   * Every uniform width, then every automatic budget, each once per distillation setting in {@code
   * distillation} (false: labels only; true: distilling from the float model).
   */
  static List<Variant> variants(
      List<Integer> uniformBits, List<Integer> autoSizes, List<Boolean> distillation) {
    List<Variant> out = new ArrayList<>();
    for (boolean kd : distillation) {
      uniformBits.forEach(w -> out.add(new Variant(PrecisionRow.UNIFORM, w, kd)));
    }
    for (boolean kd : distillation) {
      autoSizes.forEach(w -> out.add(new Variant(PrecisionRow.AUTO, w, kd)));
    }
    return out;
  }

  /** A group's trained float model, the teacher and starting point of all its variants. */
  record Baseline(
      JobSpec floatJob,
      DatasetSplits data,
      ModelState state,
      ClassificationMetrics metrics,
      String tag,
      long startNanos) {
    /**
     * Whether this model is the one {@code stored} was measured on: the same accuracy and macro-F1
     * on the same test split (training is seeded and deterministic, so a rerun of the same seed and
     * budget gives the same weights; a difference means the code or data changed).
     */
    boolean reproduces(PrecisionRow stored) {
      return stored.isFloat()
          && stored.testSamples() == data.test().size()
          && Math.abs(stored.accuracy() - metrics.accuracy()) < 1e-12
          && Math.abs(stored.macroF1() - metrics.macroF1()) < 1e-12;
    }

    /** The float row of this baseline. */
    PrecisionRow row() {
      ModelSpec spec = floatJob.model();
      return PrecisionGrid.row(
          floatJob,
          data,
          PrecisionRow.FLOAT,
          32,
          32,
          null,
          floatKiB(spec),
          null,
          null,
          metrics,
          null,
          startNanos,
          null);
    }
  }

  /** Trains the float baseline of (dataset, model, seed). */
  static Baseline trainFloat(
      String dataset,
      Architecture model,
      long seed,
      Budget budget,
      DatasetLoader loader,
      PrintStream log) {
    JobSpec floatJob = job(dataset, model, seed, budget, null);
    QatPipeline floatPipeline = QatPipeline.forJob(floatJob, loader);
    String tag = String.format(Locale.ROOT, "%s %s seed %d", dataset, name(model), seed);
    long t0 = System.nanoTime();
    StageResult trained =
        floatPipeline.trainFloat(
            floatPipeline.initialState(), 0, Experiment.progress(log, tag + " float"));
    ModelState floatState = trained.state();
    ClassificationMetrics floatMetrics = floatPipeline.evaluateFloat(floatState).metrics();
    log.printf(Locale.ROOT, "%s float: %.4f%n", tag, floatMetrics.accuracy());
    return new Baseline(floatJob, floatPipeline.data(), floatState, floatMetrics, tag, t0);
  }

  /**
   * Measures {@code variants} from {@code base}, handing each row to {@code sink} as soon as it is
   * measured. Distilled variants learn from the float model as teacher with the default {@link
   * Distillation} (α, T).
   */
  static void runVariants(
      Baseline base,
      Budget budget,
      List<Variant> variants,
      int activationBits,
      PrintStream log,
      Consumer<PrecisionRow> sink) {
    JobSpec floatJob = base.floatJob();
    String dataset = floatJob.data().dataset();
    Architecture model = floatJob.model().architecture();
    long seed = floatJob.training().seed();
    ModelSpec spec = floatJob.model();
    DatasetSplits data = base.data();
    ModelState floatState = base.state();
    for (Variant v : variants) {
      long start = System.nanoTime();
      int w = v.weightBits();
      String tag = base.tag() + " " + v.key(activationBits);
      if (v.method().equals(PrecisionRow.UNIFORM)) {
        JobSpec job =
            distilled(
                job(dataset, model, seed, budget, uniform(w, activationBits)), v.distillation());
        ClassificationMetrics m = qat(job, data, floatState, log, tag);
        sink.accept(
            row(
                job,
                data,
                PrecisionRow.UNIFORM,
                w,
                activationBits,
                bits(spec, job.quantization()),
                kib(spec, job.quantization()),
                null,
                null,
                m,
                v.distillation(),
                start,
                null));
        log.printf(Locale.ROOT, "%s: %.4f%n", tag, m.accuracy());
      } else {
        double budgetKiB = kib(spec, uniform(w, activationBits));
        JobSpec autoJob =
            distilled(
                job(dataset, model, seed, budget, auto(activationBits, budgetKiB)),
                v.distillation());
        MixedPrecisionPlan plan =
            MixedPrecisionPlan.choose(
                new QatPipeline(autoJob, data), floatState, Sensitivity.DEFAULT_SAMPLES);
        double planSeconds = (System.nanoTime() - start) / 1e9;
        log.printf(Locale.ROOT, "%s plan: %s%n", tag, plan.describe());
        JobSpec job = autoJob.withQuantization(plan.resolved());
        ClassificationMetrics m = qat(job, data, floatState, log, tag);
        sink.accept(
            row(
                job,
                data,
                PrecisionRow.AUTO,
                w,
                activationBits,
                plan.choice().bits(),
                plan.choice().kib(),
                budgetKiB,
                plan.choice().predictedLossIncrease(),
                m,
                v.distillation(),
                start,
                planSeconds));
        log.printf(
            Locale.ROOT, "%s %s: %.4f%n", tag, Arrays.toString(plan.choice().bits()), m.accuracy());
      }
    }
  }

  private static JobSpec distilled(JobSpec job, boolean distillation) {
    return distillation ? QualityGrid.distilled(job) : job;
  }

  /** QAT from the float state, the quantizer's calibration, the fake-quant graph's metrics. */
  private static ClassificationMetrics qat(
      JobSpec job, DatasetSplits data, ModelState floatState, PrintStream log, String tag) {
    QatPipeline p = new QatPipeline(job, data);
    ModelState state = p.initQuantization(floatState);
    // The float model is the teacher when the job distils (ignored otherwise).
    state = p.trainQat(state, floatState, Experiment.progress(log, tag)).state();
    state = p.calibrate(state, Experiment.progress(log, tag + " calibrate")).state();
    return p.evaluateFakeQuant(state).metrics();
  }

  /** KiB of the float32 model's weights and biases. */
  private static double floatKiB(ModelSpec model) {
    int[] float32 = new int[model.layerCount()];
    Arrays.fill(float32, 32);
    return PrecisionCost.of(model, QuantizationSpec.of(8, 8, null)).bytes(float32) / 1024.0;
  }

  static String name(Architecture model) {
    return model.label();
  }

  private static PrecisionRow row(
      JobSpec job,
      DatasetSplits data,
      String method,
      int weightBits,
      int activationBits,
      int[] layerBits,
      double sizeKiB,
      Double budgetKiB,
      Double predicted,
      ClassificationMetrics m,
      Boolean distillation,
      long startNanos,
      Double planSeconds) {
    TrainingSpec t = job.training();
    return new PrecisionRow(
        PrecisionRow.OURS,
        job.data().dataset(),
        name(job.model().architecture()),
        t.seed(),
        method,
        weightBits,
        activationBits,
        layerBits == null ? null : Arrays.stream(layerBits).boxed().toList(),
        sizeKiB,
        budgetKiB,
        distillation != null && distillation,
        m.accuracy(),
        m.macroF1(),
        predicted,
        data.train().size(),
        data.test().size(),
        t.floatEpochs(),
        t.qatEpochs(),
        t.batchSize(),
        (System.nanoTime() - startNanos) / 1e9,
        planSeconds);
  }
}
