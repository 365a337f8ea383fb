package io.qatfleet.core.job;

import io.qatfleet.core.data.DatasetId;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.ModelCost;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.train.TrainingSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The most a job may cost, checked against its spec before anything is allocated: a spec can be
 * valid ({@link JobSpec#violations()}) and still be far beyond what a trainer can hold (a
 * 40,000×40,000 MLP has 1.6 billion parameters and fills any heap). Each violation names the field,
 * the value, and the cap with its configuration key ({@code qat.budget.*} of the trainer), so that
 * a submitter knows what to change and an operator what to raise.
 *
 * @param maxParameters weights, biases and batch-norm values of the model ({@link ModelCost})
 * @param maxFlopsPerSample forward-pass FLOPs of one sample
 * @param maxLayers hidden layers: conv layers plus hidden dense layers (every weight layer but the
 *     output)
 * @param maxEpochs epochs of any one phase (float, QAT, calibration) and of any one QAT round
 * @param maxRounds QAT rounds ({@code maxRounds} of the spec)
 * @param maxBatchSize samples per training step
 * @param maxTrainSamples training images per epoch (after the calibration split is held out)
 * @param maxTestSamples test images evaluated
 * @param maxDeadlineMinutes the longest deadline a job may ask for, and the deadline of one that
 *     asks for none
 */
public record JobBudget(
    long maxParameters,
    long maxFlopsPerSample,
    int maxLayers,
    int maxEpochs,
    int maxRounds,
    int maxBatchSize,
    int maxTrainSamples,
    int maxTestSamples,
    int maxDeadlineMinutes) {

  /** 10 million parameters: 40 MB of float32 weights, 24 times the demo CNN. */
  public static final long DEFAULT_MAX_PARAMETERS = 10_000_000L;

  /** 200 MFLOPs per sample: 24 times the demo CNN's 8.5 MFLOPs. */
  public static final long DEFAULT_MAX_FLOPS_PER_SAMPLE = 200_000_000L;

  public static final int DEFAULT_MAX_LAYERS = 16;
  public static final int DEFAULT_MAX_EPOCHS = 100;
  public static final int DEFAULT_MAX_ROUNDS = 10;
  public static final int DEFAULT_MAX_BATCH_SIZE = 4096;
  public static final int DEFAULT_MAX_TRAIN_SAMPLES = 60_000;
  public static final int DEFAULT_MAX_TEST_SAMPLES = 10_000;

  /** A day. */
  public static final int DEFAULT_MAX_DEADLINE_MINUTES = 24 * 60;

  public static final JobBudget DEFAULTS =
      new JobBudget(
          DEFAULT_MAX_PARAMETERS,
          DEFAULT_MAX_FLOPS_PER_SAMPLE,
          DEFAULT_MAX_LAYERS,
          DEFAULT_MAX_EPOCHS,
          DEFAULT_MAX_ROUNDS,
          DEFAULT_MAX_BATCH_SIZE,
          DEFAULT_MAX_TRAIN_SAMPLES,
          DEFAULT_MAX_TEST_SAMPLES,
          DEFAULT_MAX_DEADLINE_MINUTES);

  private static final String KEY = "qat.budget.";

  public JobBudget {
    positive("maxParameters", maxParameters);
    positive("maxFlopsPerSample", maxFlopsPerSample);
    positive("maxLayers", maxLayers);
    positive("maxEpochs", maxEpochs);
    positive("maxRounds", maxRounds);
    positive("maxBatchSize", maxBatchSize);
    positive("maxTrainSamples", maxTrainSamples);
    positive("maxTestSamples", maxTestSamples);
    positive("maxDeadlineMinutes", maxDeadlineMinutes);
  }

  /**
   * Every cap {@code spec} exceeds; empty when it fits. A spec with structural violations is
   * checked only where its values are meaningful (its model's cost only when the model is valid).
   */
  public List<String> violations(JobSpec spec) {
    List<String> out = new ArrayList<>();
    ModelSpec model = spec.model();
    boolean valid = model.violations().isEmpty();
    boolean preset =
        model.architecture() == Architecture.CNN || model.architecture() == Architecture.MLP;
    int layers =
        preset || !valid
            ? model.convChannels().size() + model.denseUnits().size()
            : model.layerCount() - 1;
    cap(
        out,
        preset ? "model.convChannels + model.denseUnits" : "model.layers",
        "hidden layers",
        layers,
        maxLayers,
        "max-layers");
    if (valid) {
      ModelCost cost = ModelCost.of(model);
      cap(out, "model", "parameters", cost.parameters(), maxParameters, "max-parameters");
      cap(
          out,
          "model",
          "FLOPs per sample",
          cost.flopsPerSample(),
          maxFlopsPerSample,
          "max-flops-per-sample");
    }
    TrainingSpec t = spec.training();
    cap(out, "training.floatEpochs", "epochs", t.floatEpochs(), maxEpochs, "max-epochs");
    cap(out, "training.qatEpochs", "epochs", t.qatEpochs(), maxEpochs, "max-epochs");
    cap(
        out,
        "training.calibrationEpochs",
        "epochs",
        t.calibrationEpochs(),
        maxEpochs,
        "max-epochs");
    cap(out, "training.batchSize", "samples", t.batchSize(), maxBatchSize, "max-batch-size");
    cap(out, "maxRounds", "rounds", spec.maxRounds(), maxRounds, "max-rounds");
    DataSpec data = spec.data();
    if (data.violations().isEmpty() && data.source() == null) {
      DatasetId id = data.datasetId();
      long available = Math.max(0, id.trainImages() - data.calibrationSize());
      long train = data.trainLimit() == 0 ? available : Math.min(data.trainLimit(), available);
      long test = data.testLimit() == 0 ? id.testImages() : data.testLimit();
      cap(out, "data.trainLimit", "training images", train, maxTrainSamples, "max-train-samples");
      cap(out, "data.testLimit", "test images", test, maxTestSamples, "max-test-samples");
    }
    if (spec.deadlineMinutes() != null) {
      cap(
          out,
          "deadlineMinutes",
          "minutes",
          spec.deadlineMinutes(),
          maxDeadlineMinutes,
          "max-deadline-minutes");
    }
    return out;
  }

  /**
   * The sample caps for data whose sizes are known only once read ({@link DataSpec#source()}):
   * {@code trainFileSize} and {@code testFileSize} samples in the source's own splits.
   */
  public List<String> sampleViolations(DataSpec data, int trainFileSize, int testFileSize) {
    List<String> out = new ArrayList<>();
    long available = Math.max(0, trainFileSize - data.calibrationSize());
    long train = data.trainLimit() == 0 ? available : Math.min(data.trainLimit(), available);
    long test = data.testLimit() == 0 ? testFileSize : Math.min(data.testLimit(), testFileSize);
    cap(out, "data.trainLimit", "training images", train, maxTrainSamples, "max-train-samples");
    cap(out, "data.testLimit", "test images", test, maxTestSamples, "max-test-samples");
    return out;
  }

  /** Whether a QAT round of {@code epochs} epochs fits; the violation, or null. */
  public String roundViolation(int round, int epochs) {
    List<String> out = new ArrayList<>();
    cap(out, "round " + round, "epochs", epochs, maxEpochs, "max-epochs");
    return out.isEmpty() ? null : out.get(0);
  }

  /** The deadline of {@code spec} in minutes: its own, or the maximum when it names none. */
  public int deadlineMinutes(JobSpec spec) {
    return spec.deadlineMinutes() == null ? maxDeadlineMinutes : spec.deadlineMinutes();
  }

  private static void cap(
      List<String> out, String field, String what, long value, long cap, String key) {
    if (value > cap) {
      out.add(
          field + ": " + value + " " + what + " exceed the cap of " + cap + " (" + KEY + key + ")");
    }
  }

  private static void positive(String name, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, was " + value);
    }
  }
}
