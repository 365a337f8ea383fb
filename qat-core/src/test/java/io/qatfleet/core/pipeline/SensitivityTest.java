package io.qatfleet.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.data.DatasetId;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.DatasetSplits;
import io.qatfleet.core.data.SplitSpec;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.job.DataSpec;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantizationBudget;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.core.train.TrainingSpec;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-layer sensitivity and mixed per-layer bits on a real, briefly trained narrow CNN
 * (Fashion-MNIST, a few thousand images; needs Debian's dataset-fashion-mnist).
 */
class SensitivityTest {
  private static final ModelSpec NARROW_CNN =
      new ModelSpec(Architecture.CNN, List.of(8, 16), List.of(32), false, null, null, null);
  private static final int SAMPLES = 1000;

  private static DatasetSplits data;
  private static ModelState floatState;

  @BeforeAll
  static void trainFloatBaseline() {
    data =
        DatasetLoader.fromEnvironment()
            .load(DatasetId.FASHION_MNIST, new SplitSpec(1000, 3000, 1000, 7));
    QatPipeline p = new QatPipeline(job(QuantizationSpec.of(8, 8, null)), data);
    floatState = p.trainFloat(p.initialState(), 0, TrainingListener.NONE).state();
  }

  private static JobSpec job(QuantizationSpec q) {
    TrainingSpec training =
        new TrainingSpec(2, 1, 1, 64, null, 2e-3, 5e-4, 1e-3, null, null, 7L, false);
    return new JobSpec(
        "test",
        new DataSpec("fashion-mnist", 3000, 1000, 1000),
        NARROW_CNN,
        q,
        training,
        null,
        null);
  }

  private static QuantizationSpec withBits(QuantizationSpec base, int... bits) {
    return base.withLayerWeightBits(bits);
  }

  @Test
  void ranksDeliberatelyFragileFirstLayerAboveTheOthers() {
    // Layer 0 at 2-bit weights (levels -1, 0, 1 per channel), the rest at 8 bits.
    QatPipeline p =
        new QatPipeline(job(withBits(QuantizationSpec.of(8, 8, QatMethod.LSQ), 2, 8, 8, 8)), data);
    ModelState state = p.initQuantization(floatState);
    List<LayerSensitivity> s =
        Sensitivity.measure(NARROW_CNN, p.quantization(), state, data.calibration(), SAMPLES);
    assertThat(s).extracting(LayerSensitivity::layer).containsExactly(0, 1, 2, 3);
    assertThat(s).extracting(LayerSensitivity::bits).containsExactly(2, 8, 8, 8);
    LayerSensitivity worst =
        s.stream().max(Comparator.comparingDouble(LayerSensitivity::lossIncrease)).orElseThrow();
    assertThat(worst.layer()).isZero();
    assertThat(worst.name()).isEqualTo("conv0");
    for (LayerSensitivity other : s.subList(1, 4)) {
      assertThat(s.get(0).accuracyDrop()).isGreaterThan(other.accuracyDrop());
    }
  }

  @Test
  void measuresEveryLayerAtEveryWidthWithNarrowerCostingMore() {
    QuantizationSpec auto =
        QuantizationSpec.auto(8, new QuantizationBudget(20.0, null)).with(QatMethod.LSQ, null);
    QatPipeline p = new QatPipeline(job(auto), data);
    List<LayerSensitivity> table = Sensitivity.table(p, floatState, List.of(2, 8), SAMPLES);
    assertThat(table).hasSize(8);
    Map<Integer, LayerSensitivity> at2 = LayerSensitivity.byLayer(table.subList(0, 4));
    Map<Integer, LayerSensitivity> at8 = LayerSensitivity.byLayer(table.subList(4, 8));
    double total2 = at2.values().stream().mapToDouble(LayerSensitivity::lossIncrease).sum();
    double total8 = at8.values().stream().mapToDouble(LayerSensitivity::lossIncrease).sum();
    assertThat(total2).isGreaterThan(total8);
  }

  @Test
  void integerEngineAgreesWithFakeQuantAtMixedPerLayerBits() {
    QuantizationSpec mixed = withBits(QuantizationSpec.of(4, 4, QatMethod.LSQ_PACT), 8, 3, 2, 4);
    QatPipeline p = new QatPipeline(job(mixed), data);
    ModelState qat = p.trainQat(p.initQuantization(floatState), TrainingListener.NONE).state();
    ModelState calibrated = p.calibrate(qat, TrainingListener.NONE).state();
    QuantizedModel model = p.project(calibrated);
    assertThat(model.layers())
        .extracting(l -> l.weights().spec().bits())
        .containsExactly(8, 3, 2, 4);
    QatPipeline.Evaluation fake = p.evaluateFakeQuant(calibrated);
    QatPipeline.Evaluation exact = p.evaluateInteger(model);
    assertThat(exact.agreement(fake)).isGreaterThanOrEqualTo(0.995);
  }
}
