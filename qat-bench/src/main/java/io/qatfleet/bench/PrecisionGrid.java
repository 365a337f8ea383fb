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

  /**
   * Trains the float baseline of (dataset, model, seed), then every uniform width and every
   * automatic budget from it, handing each row to {@code sink} as soon as it is measured.
   */
  static void runGroup(
      String dataset,
      Architecture model,
      long seed,
      Budget budget,
      List<Integer> uniformBits,
      List<Integer> autoSizes,
      int activationBits,
      DatasetLoader loader,
      PrintStream log,
      Consumer<PrecisionRow> sink) {
    JobSpec floatJob = job(dataset, model, seed, budget, null);
    QatPipeline floatPipeline = QatPipeline.forJob(floatJob, loader);
    DatasetSplits data = floatPipeline.data();
    ModelSpec spec = floatJob.model();
    String tag = String.format(Locale.ROOT, "%s %s seed %d", dataset, name(model), seed);
    long t0 = System.nanoTime();
    StageResult trained =
        floatPipeline.trainFloat(
            floatPipeline.initialState(), 0, Experiment.progress(log, tag + " float"));
    ModelState floatState = trained.state();
    ClassificationMetrics floatMetrics = floatPipeline.evaluateFloat(floatState).metrics();
    sink.accept(
        row(
            floatJob,
            data,
            PrecisionRow.FLOAT,
            32,
            32,
            null,
            floatKiB(spec),
            null,
            null,
            floatMetrics,
            null,
            t0,
            null));
    log.printf(Locale.ROOT, "%s float: %.4f%n", tag, floatMetrics.accuracy());

    for (int w : uniformBits) {
      long start = System.nanoTime();
      JobSpec job = job(dataset, model, seed, budget, uniform(w, activationBits));
      ClassificationMetrics m = qat(job, data, floatState, log, tag + " W" + w);
      int[] bits = bits(spec, job.quantization());
      sink.accept(
          row(
              job,
              data,
              PrecisionRow.UNIFORM,
              w,
              activationBits,
              bits,
              kib(spec, job.quantization()),
              null,
              null,
              m,
              null,
              start,
              null));
      log.printf(Locale.ROOT, "%s uniform W%d: %.4f%n", tag, w, m.accuracy());
    }
    for (int w : autoSizes) {
      long start = System.nanoTime();
      double budgetKiB = kib(spec, uniform(w, activationBits));
      JobSpec autoJob = job(dataset, model, seed, budget, auto(activationBits, budgetKiB));
      MixedPrecisionPlan plan =
          MixedPrecisionPlan.choose(
              new QatPipeline(autoJob, data), floatState, Sensitivity.DEFAULT_SAMPLES);
      double planSeconds = (System.nanoTime() - start) / 1e9;
      log.printf(Locale.ROOT, "%s auto at W%d size: %s%n", tag, w, plan.describe());
      JobSpec job = autoJob.withQuantization(plan.resolved());
      ClassificationMetrics m = qat(job, data, floatState, log, tag + " auto W" + w);
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
              null,
              start,
              planSeconds));
      log.printf(
          Locale.ROOT,
          "%s auto W%d %s: %.4f%n",
          tag,
          w,
          Arrays.toString(plan.choice().bits()),
          m.accuracy());
    }
  }

  /** QAT from the float state, the quantizer's calibration, the fake-quant graph's metrics. */
  private static ClassificationMetrics qat(
      JobSpec job, DatasetSplits data, ModelState floatState, PrintStream log, String tag) {
    QatPipeline p = new QatPipeline(job, data);
    ModelState state = p.initQuantization(floatState);
    state = p.trainQat(state, Experiment.progress(log, tag)).state();
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
    return model.name().toLowerCase(Locale.ROOT);
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
