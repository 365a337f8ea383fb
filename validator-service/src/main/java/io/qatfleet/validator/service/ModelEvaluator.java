package io.qatfleet.validator.service;

import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointKind;
import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.eval.ClassificationMetrics;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import io.qatfleet.core.pipeline.QatPipeline;
import io.qatfleet.core.pipeline.QatPipeline.Evaluation;
import io.qatfleet.core.pipeline.Sensitivity;
import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs qat-core's evaluations for the validator on the job's test split (the split the trainer and
 * quantizer use, from the spec's data section and seed): the float baseline in float arithmetic,
 * the quantized model as its exported ONNX file in ONNX Runtime (what ships), the integer engine as
 * the reference it is checked against, and the calibrated float checkpoint through the fake-quant
 * graph for the agreement rate. Produces the metrics as named numbers, as events carry them, the
 * confusion matrices (rows = true class) for the report. Checkpoints of the wrong kind or for
 * another model than the spec describes are rejected with {@link RejectedInputException}.
 */
public final class ModelEvaluator {

  public static final String ACCURACY = "accuracy";
  public static final String MACRO_PRECISION = "macroPrecision";
  public static final String MACRO_RECALL = "macroRecall";
  public static final String MACRO_F1 = "macroF1";

  /** Accuracy of the fake-quant graph, among the quantized model's metrics. */
  public static final String FAKE_QUANT_ACCURACY = "fakeQuantAccuracy";

  /** Accuracy of the integer engine (the reference) on the reference samples. */
  public static final String INTEGER_ACCURACY = "integerAccuracy";

  /** Fraction of the reference samples on which ONNX Runtime and the integer engine agree. */
  public static final String ONNX_AGREEMENT = "onnxAgreement";

  /** Number of test images the integer engine and the fake-quant graph ran on. */
  public static final String REFERENCE_SAMPLES = "referenceSamples";

  /** Seconds ONNX Runtime took over the test split (loading the model included). */
  public static final String ONNX_SECONDS = "onnxEvaluationSeconds";

  /** Seconds the integer engine and the fake-quant graph took over the reference samples. */
  public static final String REFERENCE_SECONDS = "referenceEvaluationSeconds";

  /** Number of test samples evaluated. */
  public static final String TEST_SAMPLES = "testSamples";

  /**
   * Size of a model's file in bytes, among the metrics the validation service reports: the float
   * baseline checkpoint, and the integer checkpoint (levels packed below 8 bits).
   */
  public static final String MODEL_BYTES = "modelBytes";

  private final DatasetLoader loader;

  public ModelEvaluator(DatasetLoader loader) {
    this.loader = loader;
  }

  /**
   * The float baseline's metrics, its confusion matrix, and the seconds the evaluation took (the
   * test split already loaded).
   */
  public record FloatEvaluation(
      Map<String, Double> metrics, List<List<Integer>> confusion, double seconds) {}

  /**
   * The quantized model's metrics, its confusion matrix, the integer engine's agreement with the
   * fake-quant graph, the seconds the whole evaluation took (the test split already loaded), and
   * the per-layer sensitivity of the round's model (null when not measured), and the test data's
   * class names by label.
   */
  public record QuantizedEvaluation(
      Map<String, Double> metrics,
      List<List<Integer>> confusion,
      double agreement,
      double seconds,
      List<LayerSensitivity> sensitivity,
      List<String> classNames) {}

  /** Seconds the per-layer sensitivity took, among the quantized model's metrics. */
  public static final String SENSITIVITY_SECONDS = "sensitivitySeconds";

  /** Metrics and confusion matrix of the float baseline checkpoint on the test split. */
  public FloatEvaluation evaluateFloat(JobSpec spec, Checkpoint baseline) {
    requireKind(baseline, CheckpointKind.FLOAT, "baseline checkpoint");
    requireModel(spec, baseline, "baseline checkpoint");
    QatPipeline pipeline = pipeline(spec);
    long t0 = System.nanoTime();
    ClassificationMetrics m = pipeline.evaluateFloat(ModelCheckpoints.state(baseline)).metrics();
    return new FloatEvaluation(metrics(m), confusion(m), secondsSince(t0));
  }

  /**
   * Evaluates a quantized round. With an ONNX model ({@code onnx} not null): ONNX Runtime runs it
   * on the whole test split and its predictions give the metrics the thresholds judge; the integer
   * engine (the reference) and the fake-quant graph run on the first {@code referenceSamples} test
   * images (all of them when 0 or more than there are), giving the integer accuracy, the agreement
   * of ONNX Runtime with the integer engine ({@value #ONNX_AGREEMENT}) and that of the integer
   * engine with the fake-quant graph. Without one (an event from before the export): the integer
   * engine's metrics and its agreement with the fake-quant graph, both on the whole test split.
   *
   * <p>With {@code sensitivitySamples} above 0, also each layer's sensitivity: the calibrated model
   * in float but for that one layer, fake-quantized with the round's learned step sizes, on the
   * first {@code sensitivitySamples} images of the calibration split ({@link Sensitivity}). The
   * calibration split, not the test split: the remedy that reads it chooses bits, and choices made
   * on the test split would leak it into the decision that judges them.
   */
  public QuantizedEvaluation evaluateQuantized(
      JobSpec spec,
      Checkpoint integer,
      Checkpoint calibrated,
      byte[] onnx,
      int referenceSamples,
      int onnxThreads,
      int sensitivitySamples) {
    requireKind(integer, CheckpointKind.QUANTIZED, "quantized checkpoint");
    requireKind(calibrated, CheckpointKind.FLOAT, "calibrated checkpoint");
    requireModel(spec, integer, "quantized checkpoint");
    requireModel(spec, calibrated, "calibrated checkpoint");
    QatPipeline pipeline = pipeline(spec);
    long t0 = System.nanoTime();
    QuantizedModel model = ModelCheckpoints.quantizedModel(integer);
    Dataset test = pipeline.data().test();
    if (onnx == null) {
      Evaluation exact = pipeline.evaluateInteger(model);
      Evaluation fake = pipeline.evaluateFakeQuant(ModelCheckpoints.state(calibrated));
      Map<String, Double> metrics = metrics(exact.metrics());
      metrics.put(FAKE_QUANT_ACCURACY, fake.metrics().accuracy());
      List<LayerSensitivity> sensitivity =
          sensitivity(pipeline, calibrated, sensitivitySamples, metrics);
      return new QuantizedEvaluation(
          metrics,
          confusion(exact.metrics()),
          exact.agreement(fake),
          secondsSince(t0),
          sensitivity,
          pipeline.data().description().classNames());
    }
    int[] ort;
    try (OnnxRuntimeModel runtime = OnnxRuntimeModel.load(onnx, onnxThreads, "ONNX model")) {
      ort = runtime.predict(test);
    }
    Evaluation deployed = QatPipeline.evaluation(ort, test);
    double onnxSeconds = secondsSince(t0);
    long t1 = System.nanoTime();
    int n = referenceSamples <= 0 ? test.size() : Math.min(referenceSamples, test.size());
    Dataset reference = n == test.size() ? test : test.subset("test-reference", firstIndices(n));
    Evaluation exact = pipeline.evaluateInteger(model, reference);
    Evaluation fake = pipeline.evaluateFakeQuant(ModelCheckpoints.state(calibrated), reference);
    double referenceSeconds = secondsSince(t1);
    Map<String, Double> metrics = metrics(deployed.metrics());
    metrics.put(INTEGER_ACCURACY, exact.metrics().accuracy());
    metrics.put(FAKE_QUANT_ACCURACY, fake.metrics().accuracy());
    metrics.put(
        ONNX_AGREEMENT,
        ClassificationMetrics.agreement(exact.predictions(), Arrays.copyOf(ort, n)));
    metrics.put(REFERENCE_SAMPLES, (double) n);
    metrics.put(ONNX_SECONDS, onnxSeconds);
    metrics.put(REFERENCE_SECONDS, referenceSeconds);
    List<LayerSensitivity> sensitivity =
        sensitivity(pipeline, calibrated, sensitivitySamples, metrics);
    return new QuantizedEvaluation(
        metrics,
        confusion(deployed.metrics()),
        exact.agreement(fake),
        secondsSince(t0),
        sensitivity,
        pipeline.data().description().classNames());
  }

  /**
   * The per-layer sensitivity of the calibrated checkpoint, its seconds put into {@code metrics};
   * null when {@code samples} is 0 or the model has more layers than an event may describe.
   */
  private static List<LayerSensitivity> sensitivity(
      QatPipeline pipeline, Checkpoint calibrated, int samples, Map<String, Double> metrics) {
    ModelSpec model = pipeline.job().model();
    if (samples <= 0 || model.layerCount() > LayerSensitivity.MAX_LAYERS) {
      return null;
    }
    long t0 = System.nanoTime();
    List<LayerSensitivity> out =
        Sensitivity.measure(
            model,
            pipeline.quantization(),
            ModelCheckpoints.state(calibrated),
            pipeline.data().calibration(),
            samples);
    metrics.put(SENSITIVITY_SECONDS, secondsSince(t0));
    return out;
  }

  private static int[] firstIndices(int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = i;
    }
    return out;
  }

  private static double secondsSince(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  static List<List<Integer>> confusion(ClassificationMetrics m) {
    List<List<Integer>> rows = new ArrayList<>();
    for (int[] row : m.confusion().toArray()) {
      rows.add(Arrays.stream(row).boxed().toList());
    }
    return rows;
  }

  /**
   * Accuracy, macro precision / recall / F1, per-class {@code precision.<c>}, {@code recall.<c>},
   * {@code f1.<c>}, and the number of test samples.
   */
  static Map<String, Double> metrics(ClassificationMetrics m) {
    Map<String, Double> out = new LinkedHashMap<>();
    out.put(ACCURACY, m.accuracy());
    out.put(MACRO_PRECISION, m.macroPrecision());
    out.put(MACRO_RECALL, m.macroRecall());
    out.put(MACRO_F1, m.macroF1());
    for (int c = 0; c < m.numClasses(); c++) {
      out.put("precision." + c, m.precision()[c]);
      out.put("recall." + c, m.recall()[c]);
      out.put("f1." + c, m.f1()[c]);
    }
    long samples = 0;
    for (int s : m.support()) {
      samples += s;
    }
    out.put(TEST_SAMPLES, (double) samples);
    return out;
  }

  private QatPipeline pipeline(JobSpec spec) {
    return QatPipeline.forJob(spec, loader);
  }

  private static void requireKind(Checkpoint checkpoint, CheckpointKind kind, String what) {
    if (checkpoint.kind() != kind) {
      throw new RejectedInputException(
          RejectionReason.WRONG_CHECKPOINT,
          what + " must be a " + kind + " checkpoint, was " + checkpoint.kind());
    }
  }

  private static void requireModel(JobSpec spec, Checkpoint checkpoint, String what) {
    ModelSpec model = ModelCheckpoints.modelSpec(checkpoint);
    if (!model.equals(spec.model())) {
      throw new RejectedInputException(
          RejectionReason.WRONG_CHECKPOINT,
          what + " holds model " + model + " but the job spec describes " + spec.model());
    }
  }
}
