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
import io.qatfleet.core.pipeline.QatPipeline;
import io.qatfleet.core.pipeline.QatPipeline.Evaluation;
import io.qatfleet.core.pipeline.StageResult;
import io.qatfleet.core.quant.Granularity;
import io.qatfleet.core.quant.ObserverKind;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.Distillation;
import io.qatfleet.core.train.TrainingSpec;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Our side of the quality benchmark for one float baseline (dataset, model, seed): the float model,
 * then every variant from it with the same QAT budget. Accuracy is that of the fake-quantized graph
 * on the test split (the integer engine agrees with it on ≥ 99.9 % of the images in the reference
 * experiments; {@code integer} also runs the engine, ~10× slower).
 */
final class QualityGrid {
  static final String PTQ = "ptq_minmax";
  static final String STE_HARD = "ste_hard";

  /** The float model trained on for the QAT epochs at the QAT learning rate, without quantizers. */
  static final String FLOAT_CONTINUED = "float_continued";

  /** LSQ+PACT distilling from the group's float model (the default α and T). */
  static final String LSQ_PACT_KD = "lsq_pact_kd";

  static final List<String> METHODS = List.of(PTQ, "ste", "lsq", "lsq_pact", LSQ_PACT_KD);

  /** The budget every row shares. */
  record Budget(int trainLimit, int testLimit, int floatEpochs, int qatEpochs, int batch) {}

  /** One quantized model of a group. */
  record Variant(String method, int weightBits, int activationBits, Granularity granularity) {
    String key() {
      return key(method, weightBits, activationBits, granularity.name().toLowerCase(Locale.ROOT));
    }

    /** "lsq_pact W4A4 per_channel": how a results row and a variant are matched. */
    static String key(String method, int weightBits, int activationBits, String granularity) {
      return String.format(
          Locale.ROOT, "%s W%dA%d %s", method, weightBits, activationBits, granularity);
    }
  }

  private QualityGrid() {}

  /**
   * Every method at every bit width per channel, the {@code perTensorMethods} also per tensor, then
   * hard projection (no shadow weights, fixed-range STE, per-channel) at {@code hardBits}.
   */
  static List<Variant> variants(
      List<String> methods, List<String> perTensorMethods, List<int[]> bits, List<int[]> hardBits) {
    List<Variant> out = new ArrayList<>();
    for (int[] b : bits) {
      for (String m : methods) {
        out.add(new Variant(m, b[0], b[1], Granularity.PER_CHANNEL));
      }
      for (String m : perTensorMethods) {
        out.add(new Variant(m, b[0], b[1], Granularity.PER_TENSOR));
      }
    }
    for (int[] b : hardBits) {
      out.add(new Variant(STE_HARD, b[0], b[1], Granularity.PER_CHANNEL));
    }
    return out;
  }

  /** The job a variant trains with; the float row uses {@code variant == null}. */
  static JobSpec job(
      String dataset, Architecture model, long seed, Budget budget, Variant variant) {
    QuantizationSpec quantization = null;
    boolean hard = false;
    if (variant != null) {
      int w = variant.weightBits();
      int a = variant.activationBits();
      quantization =
          switch (variant.method()) {
            case PTQ ->
                new QuantizationSpec(
                    w,
                    a,
                    null,
                    QatMethod.STE,
                    variant.granularity(),
                    null,
                    ObserverKind.MIN_MAX,
                    ObserverKind.MIN_MAX,
                    null,
                    null,
                    null);
            case STE_HARD -> QuantizationSpec.of(w, a, QatMethod.STE);
            case LSQ_PACT_KD ->
                QuantizationSpec.of(w, a, QatMethod.LSQ_PACT).with(null, variant.granularity());
            default ->
                QuantizationSpec.of(
                        w, a, QatMethod.valueOf(variant.method().toUpperCase(Locale.ROOT)))
                    .with(null, variant.granularity());
          };
      hard = STE_HARD.equals(variant.method());
    }
    JobSpec job =
        benchJob(
            "bench-quality",
            model,
            seed,
            new DataSpec(dataset, budget.trainLimit(), budget.testLimit(), null),
            budget.floatEpochs(),
            budget.qatEpochs(),
            budget.batch(),
            quantization,
            hard);
    return variant != null && LSQ_PACT_KD.equals(variant.method()) ? distilled(job) : job;
  }

  /** {@code job} with QAT distilling from the float model at the default α and T. */
  static JobSpec distilled(JobSpec job) {
    TrainingSpec t = job.training();
    return job.with(
        job.quantization(),
        t.withQat(t.qatEpochs(), t.qatLearningRate(), new Distillation(null, null)));
  }

  /**
   * A benchmark's job: the default architecture of {@code model} on {@code data}, the training
   * defaults but for the epochs, batch, seed and projection.
   */
  static JobSpec benchJob(
      String name,
      Architecture model,
      long seed,
      DataSpec data,
      int floatEpochs,
      int qatEpochs,
      int batch,
      QuantizationSpec quantization,
      boolean hardProjection) {
    return new JobSpec(
        name,
        data,
        modelSpec(model),
        quantization,
        new TrainingSpec(
            floatEpochs,
            qatEpochs,
            null,
            batch,
            null,
            null,
            null,
            null,
            null,
            null,
            seed,
            hardProjection),
        null,
        null);
  }

  /**
   * Trains the float baseline of (dataset, model, seed) and every variant from it, handing each row
   * to {@code sink} as soon as it is measured.
   *
   * @param continued also train the float model on for the QAT epochs without quantizers (the
   *     float_continued row)
   */
  static void runGroup(
      String dataset,
      Architecture model,
      long seed,
      Budget budget,
      List<Variant> variants,
      boolean continued,
      boolean integer,
      DatasetLoader loader,
      PrintStream log,
      Consumer<QualityRow> sink) {
    JobSpec floatJob = job(dataset, model, seed, budget, null);
    QatPipeline floatPipeline = QatPipeline.forJob(floatJob, loader);
    DatasetSplits data = floatPipeline.data();
    String tag = String.format(Locale.ROOT, "%s %s seed %d", dataset, name(model), seed);
    long t0 = System.nanoTime();
    StageResult trained =
        floatPipeline.trainFloat(
            floatPipeline.initialState(), 0, Experiment.progress(log, tag + " float"));
    Evaluation floatEval = floatPipeline.evaluateFloat(trained.state());
    ModelState floatState = trained.state();
    sink.accept(row(floatJob, data, QualityRow.FLOAT, null, floatEval.metrics(), null, null, t0));
    log.printf(Locale.ROOT, "%s float: %.4f%n", tag, floatEval.metrics().accuracy());

    if (continued) {
      continued(floatJob, data, trained.state(), tag, log, sink);
    }

    for (Variant v : variants) {
      long variantStart = System.nanoTime();
      JobSpec job = job(dataset, model, seed, budget, v);
      QatPipeline pipeline = new QatPipeline(job, data);
      ModelState state = pipeline.initQuantization(floatState);
      if (!PTQ.equals(v.method())) {
        // The float model is the teacher when the variant distils (ignored otherwise).
        state =
            pipeline
                .trainQat(state, floatState, Experiment.progress(log, tag + " " + v.key()))
                .state();
        state = pipeline.calibrate(state, Experiment.progress(log, tag + " calibrate")).state();
      }
      Evaluation fake = pipeline.evaluateFakeQuant(state);
      Evaluation exact = integer ? pipeline.evaluateInteger(pipeline.project(state)) : null;
      ClassificationMetrics reported = exact != null ? exact.metrics() : fake.metrics();
      sink.accept(
          row(
              job,
              data,
              v.method(),
              v,
              reported,
              fake.metrics().accuracy(),
              exact == null ? null : exact.metrics().accuracy(),
              variantStart));
      log.printf(
          Locale.ROOT,
          "%s %s: %.4f (float %.4f)%n",
          tag,
          v.key(),
          reported.accuracy(),
          floatEval.metrics().accuracy());
    }
  }

  /** What the QAT epochs alone do to a float model that is not fully trained. */
  private static void continued(
      JobSpec floatJob,
      DatasetSplits data,
      ModelState floatState,
      String tag,
      PrintStream log,
      Consumer<QualityRow> sink) {
    long t0 = System.nanoTime();
    TrainingSpec t = floatJob.training();
    JobSpec continuedJob =
        new JobSpec(
            floatJob.name(),
            floatJob.data(),
            floatJob.model(),
            null,
            new TrainingSpec(
                t.qatEpochs(),
                t.qatEpochs(),
                null,
                t.batchSize(),
                t.optimizer(),
                t.qatLearningRate(),
                null,
                null,
                null,
                t.schedule(),
                t.seed(),
                false),
            null,
            null);
    QatPipeline continued = new QatPipeline(continuedJob, data);
    ModelState continuedState =
        continued.trainFloat(floatState, 0, Experiment.progress(log, tag + " float+")).state();
    sink.accept(
        row(
            floatJob,
            data,
            FLOAT_CONTINUED,
            null,
            continued.evaluateFloat(continuedState).metrics(),
            null,
            null,
            t0));
  }

  /** The preset's default spec: 28×28 grayscale images, 10 classes. */
  static ModelSpec modelSpec(Architecture model) {
    return new ModelSpec(model, null, null, null, null, null, null);
  }

  /** The model's name in rows and tables, as a job spec writes it (mobilenet-tiny). */
  static String name(Architecture model) {
    return ModelNames.name(model);
  }

  private static QualityRow row(
      JobSpec job,
      DatasetSplits data,
      String method,
      Variant v,
      ClassificationMetrics m,
      Double fakeQuantAccuracy,
      Double intAccuracy,
      long startNanos) {
    TrainingSpec t = job.training();
    return new QualityRow(
        QualityRow.OURS,
        "tensorflow-java 1.1.0",
        job.data().dataset(),
        name(job.model().architecture()),
        t.seed(),
        method,
        v == null ? 32 : v.weightBits(),
        v == null ? 32 : v.activationBits(),
        v == null ? null : v.granularity().name().toLowerCase(Locale.ROOT),
        m.accuracy(),
        m.macroF1(),
        fakeQuantAccuracy,
        intAccuracy,
        null,
        data.train().size(),
        data.test().size(),
        t.floatEpochs(),
        t.qatEpochs(),
        t.batchSize(),
        (System.nanoTime() - startNanos) / 1e9);
  }
}
