package io.qatfleet.trainer;

import io.qatfleet.core.job.DataSpec;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.TrainingSpec;
import java.util.List;

/** Job specs small enough for a test: a narrow CNN on a few hundred Fashion-MNIST images. */
final class TestJobs {

  static final int QAT_EPOCHS = 1;
  static final double QAT_LEARNING_RATE = 5e-4;

  private TestJobs() {}

  static JobSpec tiny(int floatEpochs) {
    return new JobSpec(
        "tiny-cnn",
        new DataSpec("fashion-mnist", 256, 100, 100),
        new ModelSpec(Architecture.CNN, List.of(4, 8), List.of(16), false, null, null, null),
        QuantizationSpec.of(4, 4, null),
        new TrainingSpec(
            floatEpochs,
            QAT_EPOCHS,
            1,
            64,
            null,
            1e-3,
            QAT_LEARNING_RATE,
            null,
            null,
            null,
            7L,
            null),
        null,
        2);
  }

  /** {@link #tiny} with one float epoch, as the model {@code name}. */
  static JobSpec named(String name) {
    JobSpec t = tiny(1);
    return new JobSpec(
        name, t.data(), t.model(), t.quantization(), t.training(), t.thresholds(), t.maxRounds());
  }

  /** The JSON of {@link #tiny} as a user would POST it. */
  static String tinyJson() {
    return tiny(1).toJson();
  }
}
