package io.qatfleet.core.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtException;
import io.qatfleet.core.data.DatasetId;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.DatasetSplits;
import io.qatfleet.core.data.SplitSpec;
import io.qatfleet.core.eval.ClassificationMetrics;
import io.qatfleet.core.infer.IntegerEngine;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.job.DataSpec;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.pipeline.QatPipeline;
import io.qatfleet.core.quant.Granularity;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.core.train.TrainingSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Models trained on a few thousand Fashion-MNIST images (CNN, MLP, batch norm folded), quantized at
 * 8, 4 and 2 bits per tensor and per channel, exported, and run in ONNX Runtime: its predictions
 * agree with the integer engine's on at least 99.5 % of the test images, and the float export with
 * the TensorFlow float model. Needs Debian's dataset-fashion-mnist (installed by .ci/run).
 */
class OnnxRuntimeAgreementTest {
  private static final double MIN_AGREEMENT = 0.995;
  private static final ModelSpec CNN =
      new ModelSpec(Architecture.CNN, List.of(8, 16), List.of(32), false, null, null, null);
  private static final ModelSpec CNN_BN =
      new ModelSpec(Architecture.CNN, List.of(8, 16), List.of(32), true, null, null, null);
  private static final ModelSpec MLP =
      new ModelSpec(Architecture.MLP, List.of(), List.of(64, 32), false, null, null, null);

  private static DatasetSplits data;
  private static final Map<ModelSpec, ModelState> FLOAT = new HashMap<>();

  @BeforeAll
  static void trainFloatModels() {
    data =
        DatasetLoader.fromEnvironment()
            .load(DatasetId.FASHION_MNIST, new SplitSpec(1000, 3000, 1000, 42));
    for (ModelSpec spec : List.of(CNN, CNN_BN, MLP)) {
      QatPipeline p = new QatPipeline(job(spec, QuantizationSpec.of(8, 8, null)), data);
      FLOAT.put(spec, p.trainFloat(p.initialState(), 0, TrainingListener.NONE).state());
    }
  }

  private static JobSpec job(ModelSpec model, QuantizationSpec q) {
    TrainingSpec training =
        new TrainingSpec(2, 1, 1, 64, null, 2e-3, 5e-4, 1e-3, null, null, 42L, false);
    return new JobSpec(
        "onnx", new DataSpec("fashion-mnist", 3000, 1000, 1000), model, q, training, null, null);
  }

  private static QuantizationSpec quant(
      int bits, int firstLast, QatMethod method, Granularity granularity) {
    return new QuantizationSpec(
        bits, bits, firstLast, method, granularity, null, null, null, null, null, null);
  }

  /** Initialises the quantizers from the float model, calibrates one epoch, projects. */
  private static void assertAgrees(ModelSpec spec, QuantizationSpec q) throws OrtException {
    QatPipeline p = new QatPipeline(job(spec, q), data);
    ModelState calibrated =
        p.calibrate(p.initQuantization(FLOAT.get(spec)), TrainingListener.NONE).state();
    QuantizedModel model = p.project(calibrated);
    int[] engine = new IntegerEngine(model).predict(data.test());
    int[][] forms = OrtRunner.predictBothForms(model, data.test());
    int[] ort = forms[0];
    // The requantizing QLinearConvs compute the general form's levels (docs/onnx.md).
    assertThat(ClassificationMetrics.agreement(ort, forms[1]))
        .isGreaterThanOrEqualTo(MIN_AGREEMENT);
    double agreement = ClassificationMetrics.agreement(engine, ort);
    int[] truth = data.test().labelsAsInts();
    System.out.printf(
        "ORT vs integer engine: %s %s agreement %.4f, accuracy engine %.4f ORT %.4f%n",
        spec.architecture() + (spec.batchNorm() ? "+bn" : ""),
        "W"
            + q.weightBits()
            + "A"
            + q.activationBits()
            + " first/last "
            + q.firstLastBits()
            + " "
            + q.granularity(),
        agreement,
        ClassificationMetrics.agreement(engine, truth),
        ClassificationMetrics.agreement(ort, truth));
    assertThat(ClassificationMetrics.agreement(engine, truth)).isGreaterThan(0.2);
    assertThat(agreement).isGreaterThanOrEqualTo(MIN_AGREEMENT);
  }

  @Test
  void agreesOnCnnW8PerChannel() throws OrtException {
    assertAgrees(CNN, quant(8, 8, QatMethod.LSQ_PACT, Granularity.PER_CHANNEL));
  }

  @Test
  void agreesOnCnnW4PerTensor() throws OrtException {
    assertAgrees(CNN, quant(4, 8, QatMethod.LSQ, Granularity.PER_TENSOR));
  }

  @Test
  void agreesOnCnnW2EverywherePerChannel() throws OrtException {
    assertAgrees(CNN, quant(2, 2, QatMethod.LSQ_PACT, Granularity.PER_CHANNEL));
  }

  @Test
  void agreesOnBatchNormFoldedCnnW4() throws OrtException {
    assertAgrees(CNN_BN, quant(4, 8, QatMethod.LSQ_PACT, Granularity.PER_CHANNEL));
  }

  @Test
  void agreesOnCnnWithMixedPerLayerBits() throws OrtException {
    // What an automatic spec runs with: every layer's weight bits pinned, 3 and 2 bits inside.
    assertAgrees(
        CNN,
        quant(4, 8, QatMethod.LSQ_PACT, Granularity.PER_CHANNEL)
            .withLayerWeightBits(new int[] {8, 3, 2, 8}));
  }

  @Test
  void agreesOnMlpW8PerTensor() throws OrtException {
    assertAgrees(MLP, quant(8, 8, QatMethod.STE, Granularity.PER_TENSOR));
  }

  @Test
  void agreesOnMlpW2PerChannel() throws OrtException {
    assertAgrees(MLP, quant(2, 8, QatMethod.LSQ_PACT, Granularity.PER_CHANNEL));
  }

  @Test
  void floatExportAgreesWithTensorFlow() throws OrtException {
    for (ModelSpec spec : List.of(CNN, CNN_BN, MLP)) {
      QatPipeline p = new QatPipeline(job(spec, QuantizationSpec.of(8, 8, null)), data);
      int[] tf = p.evaluateFloat(FLOAT.get(spec)).predictions();
      int[] ort;
      try (OrtRunner runner =
          new OrtRunner(OnnxExporter.exportFloat(spec, FLOAT.get(spec), Map.of()))) {
        ort = runner.predict(data.test());
      }
      double agreement = ClassificationMetrics.agreement(tf, ort);
      System.out.printf(
          "ORT float vs TensorFlow float: %s%s agreement %.4f%n",
          spec.architecture(), spec.batchNorm() ? "+bn" : "", agreement);
      assertThat(agreement).isGreaterThanOrEqualTo(MIN_AGREEMENT);
    }
  }
}
