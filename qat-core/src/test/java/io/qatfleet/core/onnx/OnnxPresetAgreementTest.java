package io.qatfleet.core.onnx;

import static io.qatfleet.core.model.LayerSpec.add;
import static io.qatfleet.core.model.LayerSpec.conv;
import static io.qatfleet.core.model.LayerSpec.dense;
import static io.qatfleet.core.model.LayerSpec.depthwise;
import static io.qatfleet.core.model.LayerSpec.named;
import static io.qatfleet.core.model.LayerSpec.of;
import static io.qatfleet.core.model.LayerSpec.pool;
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
 * The layer-graph presets (LeNet-5, ResNet-8, MobileNet-tiny) and a user graph, trained two epochs
 * on 2,000 Fashion-MNIST images, exported and run in ONNX Runtime on 1,000 test images: the float
 * export agrees with TensorFlow's float model, and the integer export (W4A4 per channel, plus
 * ResNet-8 at W8A8 per tensor and LeNet-5 at W3A3; 8-bit first and last layers; calibrated one
 * epoch) with the integer engine on at least 99.5 % of the images, and with the fake-quant graph
 * the model was calibrated in. Needs Debian's dataset-fashion-mnist.
 */
class OnnxPresetAgreementTest {
  private static final double MIN_AGREEMENT = 0.995;
  private static final ModelSpec LENET5 = ModelSpec.preset(Architecture.LENET5, 28, 28, 1, 10);
  private static final ModelSpec RESNET8 = ModelSpec.preset(Architecture.RESNET8, 28, 28, 1, 10);
  private static final ModelSpec MOBILENET =
      ModelSpec.preset(Architecture.MOBILENET_TINY, 28, 28, 1, 10);

  /**
   * Max pooling of the image into a stride-2 conv (reads the image's bytes), a depthwise conv and a
   * residual add with relu6, a 1×1 conv reading the sum (no ReLU before it: its quantizer clips
   * negative values at 0), average pooling, flatten of a multi-channel map, dense.
   */
  private static final ModelSpec USER_GRAPH =
      ModelSpec.graph(
          List.of(
              pool("maxPool", 2, 1),
              conv("c0", 8, 3, 2, 1),
              of("batchNorm"),
              named("relu6", "r0"),
              depthwise("dw", 8, 1),
              of("batchNorm"),
              add("sum", "r0"),
              conv("mix", 8, 1, 1, 0),
              of("relu"),
              pool("avgPool", 2, 2),
              of("flatten"),
              dense(10)),
          28,
          28,
          1,
          10);

  private static DatasetSplits data;
  private static final Map<ModelSpec, ModelState> FLOAT = new HashMap<>();

  @BeforeAll
  static void trainFloatModels() {
    data =
        DatasetLoader.fromEnvironment()
            .load(DatasetId.FASHION_MNIST, new SplitSpec(500, 2000, 1000, 42));
    for (ModelSpec spec : List.of(LENET5, RESNET8, MOBILENET, USER_GRAPH)) {
      QatPipeline p = new QatPipeline(job(spec, W4_PER_CHANNEL), data);
      FLOAT.put(spec, p.trainFloat(p.initialState(), 0, TrainingListener.NONE).state());
    }
  }

  private static final QuantizationSpec W4_PER_CHANNEL =
      quant(4, QatMethod.LSQ_PACT, Granularity.PER_CHANNEL);

  private static QuantizationSpec quant(int bits, QatMethod method, Granularity granularity) {
    return new QuantizationSpec(
        bits, bits, 8, method, granularity, null, null, null, null, null, null);
  }

  private static JobSpec job(ModelSpec model, QuantizationSpec q) {
    TrainingSpec training =
        new TrainingSpec(2, 1, 1, 64, null, 2e-3, 5e-4, 1e-3, null, null, 42L, false);
    return new JobSpec(
        "onnx-presets",
        new DataSpec("fashion-mnist", 2000, 1000, 500),
        model,
        q,
        training,
        null,
        null);
  }

  private static String name(ModelSpec spec) {
    return spec.architecture().toString().toLowerCase(java.util.Locale.ROOT);
  }

  private static void assertFloatAgrees(ModelSpec spec) throws OrtException {
    QatPipeline p = new QatPipeline(job(spec, W4_PER_CHANNEL), data);
    int[] tf = p.evaluateFloat(FLOAT.get(spec)).predictions();
    int[] ort;
    try (OrtRunner runner =
        new OrtRunner(OnnxExporter.exportFloat(spec, FLOAT.get(spec), Map.of()))) {
      ort = runner.predict(data.test());
    }
    double agreement = ClassificationMetrics.agreement(tf, ort);
    System.out.printf(
        "ORT float vs TensorFlow float: %s agreement %.4f (accuracy TF %.4f)%n",
        name(spec), agreement, ClassificationMetrics.agreement(tf, data.test().labelsAsInts()));
    assertThat(agreement).isGreaterThanOrEqualTo(MIN_AGREEMENT);
  }

  private static void assertIntegerAgrees(ModelSpec spec, QuantizationSpec q) throws OrtException {
    QatPipeline p = new QatPipeline(job(spec, q), data);
    ModelState calibrated =
        p.calibrate(p.initQuantization(FLOAT.get(spec)), TrainingListener.NONE).state();
    QuantizedModel model = p.project(calibrated);
    int[][] forms = OrtRunner.predictBothForms(model, data.test());
    int[] ort = forms[0];
    // The requantizing QLinearConvs compute the general form's levels (docs/onnx.md).
    assertThat(ClassificationMetrics.agreement(ort, forms[1]))
        .isGreaterThanOrEqualTo(MIN_AGREEMENT);
    int[] fakeQuant = p.evaluateFakeQuant(calibrated).predictions();
    int[] engine = new IntegerEngine(model).predict(data.test());
    int[] truth = data.test().labelsAsInts();
    double agreement = ClassificationMetrics.agreement(engine, ort);
    double fakeQuantAgreement = ClassificationMetrics.agreement(fakeQuant, ort);
    System.out.printf(
        "ORT integer vs integer engine: %s W%dA%d %s agreement %.4f, vs fake-quant %.4f;"
            + " accuracy ORT %.4f engine %.4f fake-quant %.4f%n",
        name(spec),
        q.weightBits(),
        q.activationBits(),
        q.granularity(),
        agreement,
        fakeQuantAgreement,
        ClassificationMetrics.agreement(ort, truth),
        ClassificationMetrics.agreement(engine, truth),
        ClassificationMetrics.agreement(fakeQuant, truth));
    assertThat(ClassificationMetrics.agreement(ort, truth)).isGreaterThan(0.2);
    assertThat(fakeQuantAgreement).isGreaterThanOrEqualTo(MIN_AGREEMENT);
    assertThat(agreement).isGreaterThanOrEqualTo(MIN_AGREEMENT);
  }

  @Test
  void floatExportAgreesOnLenet5() throws OrtException {
    assertFloatAgrees(LENET5);
  }

  @Test
  void floatExportAgreesOnResnet8() throws OrtException {
    assertFloatAgrees(RESNET8);
  }

  @Test
  void floatExportAgreesOnMobilenetTiny() throws OrtException {
    assertFloatAgrees(MOBILENET);
  }

  @Test
  void floatExportAgreesOnUserGraph() throws OrtException {
    assertFloatAgrees(USER_GRAPH);
  }

  @Test
  void integerExportAgreesOnLenet5() throws OrtException {
    assertIntegerAgrees(LENET5, W4_PER_CHANNEL);
  }

  @Test
  void integerExportAgreesOnResnet8() throws OrtException {
    assertIntegerAgrees(RESNET8, W4_PER_CHANNEL);
  }

  @Test
  void integerExportAgreesOnMobilenetTiny() throws OrtException {
    assertIntegerAgrees(MOBILENET, W4_PER_CHANNEL);
  }

  @Test
  void integerExportAgreesOnUserGraph() throws OrtException {
    assertIntegerAgrees(USER_GRAPH, W4_PER_CHANNEL);
  }

  @Test
  void integerExportAgreesOnResnet8W8PerTensor() throws OrtException {
    assertIntegerAgrees(RESNET8, quant(8, QatMethod.LSQ, Granularity.PER_TENSOR));
  }

  @Test
  void integerExportAgreesOnLenet5W3() throws OrtException {
    assertIntegerAgrees(LENET5, quant(3, QatMethod.LSQ_PACT, Granularity.PER_CHANNEL));
  }
}
