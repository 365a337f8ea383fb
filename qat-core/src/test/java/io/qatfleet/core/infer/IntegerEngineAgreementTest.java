package io.qatfleet.core.infer;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.data.DatasetId;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.DatasetSplits;
import io.qatfleet.core.data.SplitSpec;
import io.qatfleet.core.job.DataSpec;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.LayerSpec;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import io.qatfleet.core.pipeline.QatPipeline;
import io.qatfleet.core.quant.Granularity;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.core.train.TrainingSpec;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * For every preset architecture: one epoch of float training and one of QAT (LSQ+PACT, per-channel
 * weights, first and last layers at 8 bits) on 3000 Fashion-MNIST images, calibration, projection;
 * then the integer engine must predict the same class as the fake-quant graph on at least 99.5 % of
 * 1000 test images, at W8A8 and at W4A4, and the quantized checkpoint must give the same integer
 * model back. Needs Debian's dataset-fashion-mnist (installed by .ci/run).
 */
class IntegerEngineAgreementTest {
  private static final double MIN_AGREEMENT = 0.995;
  private static final Provenance PROVENANCE =
      new Provenance("agreement", 1, null, "fashion-mnist", "test", "2026-12-03T00:00:00Z");
  private static DatasetSplits data;

  @BeforeAll
  static void load() {
    data =
        DatasetLoader.fromEnvironment()
            .load(DatasetId.FASHION_MNIST, new SplitSpec(1000, 3000, 1000, 7));
  }

  @ParameterizedTest
  @EnumSource(
      value = Architecture.class,
      names = {"CNN", "MLP", "LENET5", "RESNET8", "MOBILENET_TINY"})
  void integerEngineAgreesWithFakeQuantAtW8A8AndW4A4(Architecture architecture) {
    ModelSpec model =
        architecture == Architecture.CNN
            ? new ModelSpec(Architecture.CNN, List.of(8, 16), List.of(32), true, null, null, null)
            : ModelSpec.preset(architecture, 28, 28, 1, 10);
    QatPipeline floatPipeline = new QatPipeline(job(model, 8), data);
    ModelState floatState =
        floatPipeline.trainFloat(floatPipeline.initialState(), 0, TrainingListener.NONE).state();
    for (int bits : new int[] {8, 4}) {
      QatPipeline p = new QatPipeline(job(model, bits), data);
      ModelState qat = p.trainQat(p.initQuantization(floatState), TrainingListener.NONE).state();
      ModelState calibrated = p.calibrate(qat, TrainingListener.NONE).state();
      QuantizedModel integer = p.project(calibrated);
      QatPipeline.Evaluation fake = p.evaluateFakeQuant(calibrated);
      QatPipeline.Evaluation exact = p.evaluateInteger(integer);
      assertThat(exact.agreement(fake))
          .as("%s W%dA%d: integer engine vs fake quant", architecture, bits, bits)
          .isGreaterThanOrEqualTo(MIN_AGREEMENT);
      // Chance is 10 %: the integer model learned something, not only agreed on noise.
      assertThat(exact.metrics().accuracy())
          .as("%s W%dA%d integer accuracy", architecture, bits, bits)
          .isGreaterThan(0.3);
      QuantizedModel restored =
          ModelCheckpoints.quantizedModel(
              ModelCheckpoints.ofQuantized(integer, p.job().quantization(), PROVENANCE));
      assertThat(new IntegerEngine(restored).predict(data.test()))
          .containsExactly(exact.predictions());
    }
  }

  @Test
  void integerEngineAgreesOnAUserGraphWithNegativeLayerInputs() {
    // c2 reads c1's pre-activation (negative values reach its input quantizer), the add joins
    // two accumulator grids, and the dense layer reads a flattened multi-channel map.
    ModelSpec model =
        ModelSpec.graph(
            List.of(
                LayerSpec.conv("c1", 8, 3, 2, 1),
                LayerSpec.conv("c2", 8, 3, 1, 1),
                LayerSpec.add("sum", "c1"),
                LayerSpec.of("relu"),
                LayerSpec.pool("maxPool", 2, 2),
                LayerSpec.of("flatten"),
                LayerSpec.of("dense")),
            28,
            28,
            1,
            10);
    QatPipeline floatPipeline = new QatPipeline(job(model, 8), data);
    ModelState floatState =
        floatPipeline.trainFloat(floatPipeline.initialState(), 0, TrainingListener.NONE).state();
    for (int bits : new int[] {8, 4}) {
      QatPipeline p = new QatPipeline(job(model, bits), data);
      ModelState qat = p.trainQat(p.initQuantization(floatState), TrainingListener.NONE).state();
      ModelState calibrated = p.calibrate(qat, TrainingListener.NONE).state();
      QatPipeline.Evaluation fake = p.evaluateFakeQuant(calibrated);
      QatPipeline.Evaluation exact = p.evaluateInteger(p.project(calibrated));
      assertThat(exact.agreement(fake))
          .as("user graph W%dA%d: integer engine vs fake quant", bits, bits)
          .isGreaterThanOrEqualTo(MIN_AGREEMENT);
      assertThat(exact.metrics().accuracy()).isGreaterThan(0.3);
    }
  }

  private static JobSpec job(ModelSpec model, int bits) {
    TrainingSpec training =
        new TrainingSpec(1, 1, 1, 64, null, 2e-3, 5e-4, 1e-3, null, null, 7L, false);
    QuantizationSpec q =
        new QuantizationSpec(
            bits,
            bits,
            8,
            QatMethod.LSQ_PACT,
            Granularity.PER_CHANNEL,
            null,
            null,
            null,
            null,
            null,
            null);
    return new JobSpec(
        "agreement",
        new DataSpec("fashion-mnist", 3000, 1000, 1000),
        model,
        q,
        training,
        null,
        null);
  }
}
