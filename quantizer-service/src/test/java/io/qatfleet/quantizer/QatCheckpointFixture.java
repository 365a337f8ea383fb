package io.qatfleet.quantizer;

import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.DatasetSplits;
import io.qatfleet.core.data.SplitSpec;
import io.qatfleet.core.job.DataSpec;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import io.qatfleet.core.pipeline.QatPipeline;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.core.train.TrainingSpec;
import java.util.List;

/**
 * Realistic inputs for the quantizer, made the way the trainer makes them: a tiny CNN trained one
 * epoch in float on a few hundred Fashion-MNIST images, quantizers initialised, one QAT epoch.
 * Built once per test JVM.
 */
final class QatCheckpointFixture {

  /** W4A4 LSQ+PACT on conv4-conv8-dense16-dense10; first and last layer at 8 bits. */
  static final JobSpec SPEC =
      new JobSpec(
          "tiny-cnn",
          new DataSpec("fashion-mnist", 300, 100, 100),
          new ModelSpec(Architecture.CNN, List.of(4, 8), List.of(16), false, null, null, null),
          QuantizationSpec.of(4, 4, QatMethod.LSQ_PACT),
          new TrainingSpec(1, 1, 1, 50, null, null, null, null, null, null, 7L, null),
          null,
          2);

  private static byte[] qatCheckpoint;
  private static byte[] baselineCheckpoint;

  private QatCheckpointFixture() {}

  /** Safetensors bytes of the QAT round-1 checkpoint (float shadow weights + step sizes). */
  static synchronized byte[] qatCheckpoint() {
    build();
    return qatCheckpoint.clone();
  }

  /** Safetensors bytes of the float baseline: no quantization parameters. */
  static synchronized byte[] baselineCheckpoint() {
    build();
    return baselineCheckpoint.clone();
  }

  private static void build() {
    if (qatCheckpoint != null) {
      return;
    }
    DatasetSplits data =
        DatasetLoader.fromEnvironment()
            .load(
                SPEC.data().datasetId(),
                new SplitSpec(
                    SPEC.data().calibrationSize(),
                    SPEC.data().trainLimit(),
                    SPEC.data().testLimit(),
                    SPEC.training().seed()));
    QatPipeline pipeline = new QatPipeline(SPEC, data);
    ModelState baseline =
        pipeline.trainFloat(pipeline.initialState(), 0, TrainingListener.NONE).state();
    ModelState qat =
        pipeline.trainQat(pipeline.initQuantization(baseline), TrainingListener.NONE).state();
    CheckpointCodec codec = new CheckpointCodec();
    baselineCheckpoint =
        codec.encode(ModelCheckpoints.ofFloat(SPEC.model(), null, baseline, provenance(0))).bytes();
    qatCheckpoint =
        codec
            .encode(ModelCheckpoints.ofFloat(SPEC.model(), SPEC.quantization(), qat, provenance(1)))
            .bytes();
  }

  private static Provenance provenance(int round) {
    return new Provenance(
        "fixture", round, null, "fashion-mnist", "quantizer-service-test", "2026-01-01T00:00:00Z");
  }
}
