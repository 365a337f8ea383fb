package io.qatfleet.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.EncodedCheckpoint;
import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.data.DatasetId;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.DatasetSplits;
import io.qatfleet.core.data.SplitSpec;
import io.qatfleet.core.infer.IntegerEngine;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.job.DataSpec;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.ModelGraph;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.quant.Granularity;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.Distillation;
import io.qatfleet.core.train.NonFiniteLossException;
import io.qatfleet.core.train.OptimizerKind;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.core.train.TrainingSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real training on a few thousand Fashion-MNIST images with a narrow CNN: float and QAT reach
 * clearly-above-chance accuracy (chance is 10 %), and the integer engine agrees with the fake-quant
 * graph. Needs Debian's dataset-fashion-mnist (installed by .ci/run).
 */
class QatPipelineTest {
  private static final ModelSpec NARROW_CNN =
      new ModelSpec(Architecture.CNN, List.of(8, 16), List.of(32), false, null, null, null);
  private static final double ABOVE_CHANCE = 0.65;

  private static DatasetSplits data;
  private static ModelState floatState;
  private static double floatAccuracy;

  @BeforeAll
  static void trainFloatBaseline() {
    data =
        DatasetLoader.fromEnvironment()
            .load(DatasetId.FASHION_MNIST, new SplitSpec(1000, 4000, 1000, 42));
    QatPipeline pipeline = new QatPipeline(job(NARROW_CNN, QuantizationSpec.of(8, 8, null)), data);
    floatState = pipeline.trainFloat(pipeline.initialState(), 0, TrainingListener.NONE).state();
    floatAccuracy = pipeline.evaluateFloat(floatState).metrics().accuracy();
  }

  private static JobSpec job(ModelSpec model, QuantizationSpec quantization) {
    return job(model, quantization, false);
  }

  private static JobSpec job(ModelSpec model, QuantizationSpec q, boolean hardProjection) {
    TrainingSpec training =
        new TrainingSpec(3, 2, 1, 64, null, 2e-3, 5e-4, 1e-3, null, null, 42L, hardProjection);
    return new JobSpec(
        "test", new DataSpec("fashion-mnist", 4000, 1000, 1000), model, q, training, null, null);
  }

  private record Quantized(double integerAccuracy, double agreement, QuantizedModel model) {}

  private static Quantized quantize(JobSpec job, ModelState start) {
    QatPipeline p = new QatPipeline(job, data);
    ModelState qat = p.trainQat(p.initQuantization(start), TrainingListener.NONE).state();
    ModelState calibrated = p.calibrate(qat, TrainingListener.NONE).state();
    QuantizedModel model = p.project(calibrated);
    QatPipeline.Evaluation fake = p.evaluateFakeQuant(calibrated);
    QatPipeline.Evaluation exact = p.evaluateInteger(model);
    return new Quantized(exact.metrics().accuracy(), exact.agreement(fake), model);
  }

  @Test
  void trainsFloatModelWellAboveChance() {
    assertThat(floatAccuracy).isGreaterThan(ABOVE_CHANCE);
  }

  @Test
  void trainsW8A8QatAboveChanceWithIntegerEngineAgreeing() {
    Quantized q =
        quantize(job(NARROW_CNN, QuantizationSpec.of(8, 8, QatMethod.LSQ_PACT)), floatState);
    assertThat(q.integerAccuracy()).isGreaterThan(ABOVE_CHANCE);
    assertThat(q.agreement()).isGreaterThanOrEqualTo(0.995);
  }

  @Test
  void integerEngineAgreesWithFakeQuantAtFourBitsLsq() {
    Quantized q = quantize(job(NARROW_CNN, QuantizationSpec.of(4, 4, QatMethod.LSQ)), floatState);
    assertThat(q.agreement()).isGreaterThanOrEqualTo(0.995);
    assertThat(q.integerAccuracy()).isGreaterThan(ABOVE_CHANCE);
  }

  @Test
  void trainsWithFixedRangeSteAndPerTensorWeights() {
    QuantizationSpec q =
        new QuantizationSpec(
            8, 8, null, QatMethod.STE, Granularity.PER_TENSOR, null, null, null, null, null, null);
    Quantized result = quantize(job(NARROW_CNN, q), floatState);
    assertThat(result.integerAccuracy()).isGreaterThan(ABOVE_CHANCE);
    assertThat(result.agreement()).isGreaterThanOrEqualTo(0.995);
  }

  @Test
  void foldsBatchNormIntoIntegerModel() {
    ModelSpec bn =
        new ModelSpec(Architecture.CNN, List.of(8, 16), List.of(32), true, null, null, null);
    JobSpec job = job(bn, QuantizationSpec.of(8, 8, QatMethod.LSQ_PACT));
    QatPipeline p = new QatPipeline(job, data);
    ModelState trained = p.trainFloat(p.initialState(), 0, TrainingListener.NONE).state();
    assertThat(p.evaluateFloat(trained).metrics().accuracy()).isGreaterThan(ABOVE_CHANCE);
    Quantized q = quantize(job, trained);
    assertThat(q.integerAccuracy()).isGreaterThan(ABOVE_CHANCE);
    assertThat(q.agreement()).isGreaterThanOrEqualTo(0.995);
  }

  @Test
  void trainsW4A4QatWithDistillationFromTheFloatModel() {
    TrainingSpec distilled =
        new TrainingSpec(
            3,
            2,
            1,
            64,
            null,
            2e-3,
            5e-4,
            1e-3,
            null,
            null,
            42L,
            false,
            new Distillation(0.5, 4.0));
    JobSpec job =
        new JobSpec(
            "distil",
            new DataSpec("fashion-mnist", 4000, 1000, 1000),
            NARROW_CNN,
            QuantizationSpec.of(4, 4, QatMethod.LSQ_PACT),
            distilled,
            null,
            null);
    QatPipeline p = new QatPipeline(job, data);
    StageResult qat = p.trainQat(p.initQuantization(floatState), floatState, TrainingListener.NONE);
    assertThat(qat.fit().epochLosses()).hasSize(2).allMatch(Double::isFinite);
    // The teacher is frozen in the graph: only the student's variables come out of it.
    assertThat(qat.state().tensors().keySet()).noneMatch(name -> name.startsWith("teacher"));
    ModelState calibrated = p.calibrate(qat.state(), TrainingListener.NONE).state();
    assertThat(p.evaluateInteger(p.project(calibrated)).metrics().accuracy())
        .isGreaterThan(ABOVE_CHANCE);
    assertThatThrownBy(() -> p.trainQat(floatState, TrainingListener.NONE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("training.distillation");
  }

  @Test
  void carriesStepSizesToRaisedBitsKeepingTheClippingRange() {
    QuantizationSpec w2 = QuantizationSpec.of(2, 2, QatMethod.LSQ_PACT);
    ModelState atTwoBits = new QatPipeline(job(NARROW_CNN, w2), data).initQuantization(floatState);
    QuantizationSpec raised = w2.withLayerWeightBits(Map.of("1", 4));
    ModelState carried =
        new QatPipeline(job(NARROW_CNN, raised), data).carryStepSizes(atTwoBits, w2);
    // Layer 1: Qp 1 at 2 bits, 7 at 4 bits (narrow range): the step shrinks 7-fold, the range
    // s·Qp stays. Layer 2 keeps its 2 bits and its steps; PACT clipping values are ranges already.
    float[] before = atTwoBits.floats("layer1." + ModelGraph.W_SCALE);
    float[] after = carried.floats("layer1." + ModelGraph.W_SCALE);
    for (int i = 0; i < before.length; i++) {
      assertThat(after[i]).isCloseTo(before[i] / 7f, within(1e-9f));
    }
    assertThat(carried.floats("layer2." + ModelGraph.W_SCALE))
        .containsExactly(atTwoBits.floats("layer2." + ModelGraph.W_SCALE));
    assertThat(carried.floats("layer1." + ModelGraph.IN_ALPHA))
        .containsExactly(atTwoBits.floats("layer1." + ModelGraph.IN_ALPHA));
  }

  @Test
  void hardProjectionKeepsKernelsOnTheGrid() {
    JobSpec job = job(NARROW_CNN, QuantizationSpec.of(4, 4, QatMethod.LSQ), true);
    QatPipeline p = new QatPipeline(job, data);
    ModelState qat = p.trainQat(p.initQuantization(floatState), TrainingListener.NONE).state();
    float[] kernel = qat.floats("layer1." + ModelGraph.KERNEL);
    float[] scales = qat.floats("layer1." + ModelGraph.W_SCALE);
    for (int i = 0; i < kernel.length; i++) {
      float s = scales[i % scales.length];
      double level = kernel[i] / s;
      assertThat(Math.abs(level - Math.rint(level))).isLessThan(1e-3);
      assertThat(Math.abs(level)).isLessThanOrEqualTo(7.001);
    }
  }

  @Test
  void quantizedCheckpointRoundTripKeepsIntegerPredictions() {
    JobSpec job = job(NARROW_CNN, QuantizationSpec.of(4, 4, QatMethod.LSQ_PACT));
    Quantized q = quantize(job, floatState);
    Provenance provenance =
        new Provenance("job-1", 1, null, "fashion-mnist", "test", "2026-11-26T00:00:00Z");
    CheckpointCodec codec = new CheckpointCodec();
    EncodedCheckpoint encoded =
        codec.encode(ModelCheckpoints.ofQuantized(q.model(), job.quantization(), provenance));
    Checkpoint decoded = codec.decode(encoded.bytes(), encoded.sha256());
    QuantizedModel restored = ModelCheckpoints.quantizedModel(decoded);
    assertThat(ModelCheckpoints.metadata(decoded).layers())
        .extracting(l -> l.weights().bits())
        .containsExactly(8, 4, 4, 8);
    assertThat(new IntegerEngine(restored).predict(data.test()))
        .containsExactly(new IntegerEngine(q.model()).predict(data.test()));
  }

  @Test
  void floatCheckpointRoundTripRestoresTheModel() {
    Provenance provenance =
        new Provenance("job-1", 0, null, "fashion-mnist", "test", "2026-11-26T00:00:00Z");
    CheckpointCodec codec = new CheckpointCodec();
    EncodedCheckpoint encoded =
        codec.encode(ModelCheckpoints.ofFloat(NARROW_CNN, null, floatState, provenance));
    Checkpoint decoded = codec.decode(encoded.bytes(), encoded.sha256());
    assertThat(ModelCheckpoints.modelSpec(decoded)).isEqualTo(NARROW_CNN);
    QatPipeline p = new QatPipeline(job(NARROW_CNN, QuantizationSpec.of(8, 8, null)), data);
    assertThat(p.evaluateFloat(ModelCheckpoints.state(decoded)).metrics().accuracy())
        .isEqualTo(floatAccuracy);
  }

  @Test
  void trainsWithSgdMomentum() {
    TrainingSpec sgd =
        new TrainingSpec(
            2, 0, 0, 64, OptimizerKind.SGD_MOMENTUM, 0.05, null, null, 0.9, null, 42L, false);
    JobSpec job =
        new JobSpec(
            "sgd",
            new DataSpec("fashion-mnist", 4000, 1000, 1000),
            ModelSpec.mlp(),
            QuantizationSpec.of(8, 8, null),
            sgd,
            null,
            null);
    QatPipeline p = new QatPipeline(job, data);
    ModelState trained = p.trainFloat(p.initialState(), 0, TrainingListener.NONE).state();
    assertThat(p.evaluateFloat(trained).metrics().accuracy()).isGreaterThan(ABOVE_CHANCE);
  }

  @Test
  void stopsOnNonFiniteLoss() {
    JobSpec job = job(NARROW_CNN, QuantizationSpec.of(8, 8, null));
    QatPipeline p = new QatPipeline(job, data);
    ModelState state = p.initialState();
    float[] kernel = state.floats("layer0.kernel");
    kernel[0] = Float.NaN;
    ModelState poisoned = state.with("layer0.kernel", new long[] {3, 3, 1, 8}, kernel);
    assertThatThrownBy(() -> p.trainFloat(poisoned, 0, TrainingListener.NONE))
        .isInstanceOf(NonFiniteLossException.class)
        .hasMessageContaining("loss became NaN at epoch 0 step 0");
  }

  /**
   * A NaN weight stops QAT at once, whatever the method: the fake quantizers and the ReLUs after
   * them may keep it from the loss (a ReLU fused into a oneDNN convolution maps NaN to 0), so the
   * step also checks the trained variables.
   */
  @Test
  void stopsOnANonFiniteWeightInQat() {
    float[] kernel = floatState.floats("layer0.kernel");
    kernel[0] = Float.NaN;
    ModelState poisoned = floatState.with("layer0.kernel", new long[] {3, 3, 1, 8}, kernel);
    for (QatMethod method : QatMethod.values()) {
      JobSpec job =
          job(NARROW_CNN, QuantizationSpec.of(4, 4, null).with(method, Granularity.PER_CHANNEL));
      QatPipeline p = new QatPipeline(job, data);
      assertThatThrownBy(
              () -> p.trainQat(p.initQuantization(poisoned), TrainingListener.NONE),
              method.toString())
          .isInstanceOf(NonFiniteLossException.class)
          .hasMessageContaining("NaN")
          .hasMessageContaining(" at epoch 0 step 0 ");
    }
  }
}
