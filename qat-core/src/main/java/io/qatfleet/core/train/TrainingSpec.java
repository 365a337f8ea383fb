package io.qatfleet.core.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/**
 * The training part of a job spec. Float training, QAT and calibration are separate phases, each
 * with its own epochs and learning rate; all share the optimizer, batch size, schedule and seed.
 *
 * @param calibrationEpochs epochs over the calibration split that learn the quantization parameters
 *     with the weights frozen (the quantizer's stage)
 * @param hardProjection project the weights onto the integer grid after every optimizer step,
 *     without float shadow weights (for comparison only: small updates round away)
 * @param distillation QAT learns from the float model's soft targets too ({@link Distillation});
 *     null (the default) for labels only
 */
public record TrainingSpec(
    Integer floatEpochs,
    Integer qatEpochs,
    Integer calibrationEpochs,
    Integer batchSize,
    OptimizerKind optimizer,
    Double learningRate,
    Double qatLearningRate,
    Double calibrationLearningRate,
    Double momentum,
    LrSchedule schedule,
    Long seed,
    Boolean hardProjection,
    @JsonInclude(JsonInclude.Include.NON_NULL) Distillation distillation) {

  public TrainingSpec {
    floatEpochs = floatEpochs == null ? 5 : floatEpochs;
    qatEpochs = qatEpochs == null ? 2 : qatEpochs;
    calibrationEpochs = calibrationEpochs == null ? 1 : calibrationEpochs;
    batchSize = batchSize == null ? 128 : batchSize;
    optimizer = optimizer == null ? OptimizerKind.ADAM : optimizer;
    learningRate = learningRate == null ? 1e-3 : learningRate;
    qatLearningRate = qatLearningRate == null ? 2e-4 : qatLearningRate;
    calibrationLearningRate = calibrationLearningRate == null ? 1e-3 : calibrationLearningRate;
    momentum = momentum == null ? 0.9 : momentum;
    schedule = schedule == null ? LrSchedule.COSINE : schedule;
    seed = seed == null ? 42L : seed;
    hardProjection = hardProjection != null && hardProjection;
  }

  /** A spec without distillation. */
  public TrainingSpec(
      Integer floatEpochs,
      Integer qatEpochs,
      Integer calibrationEpochs,
      Integer batchSize,
      OptimizerKind optimizer,
      Double learningRate,
      Double qatLearningRate,
      Double calibrationLearningRate,
      Double momentum,
      LrSchedule schedule,
      Long seed,
      Boolean hardProjection) {
    this(
        floatEpochs,
        qatEpochs,
        calibrationEpochs,
        batchSize,
        optimizer,
        learningRate,
        qatLearningRate,
        calibrationLearningRate,
        momentum,
        schedule,
        seed,
        hardProjection,
        null);
  }

  /** All defaults. */
  public static TrainingSpec defaults() {
    return new TrainingSpec(null, null, null, null, null, null, null, null, null, null, null, null);
  }

  /** This spec with another QAT budget and distillation (null: off), the rest unchanged. */
  public TrainingSpec withQat(int epochs, double rate, Distillation newDistillation) {
    return new TrainingSpec(
        floatEpochs,
        epochs,
        calibrationEpochs,
        batchSize,
        optimizer,
        learningRate,
        rate,
        calibrationLearningRate,
        momentum,
        schedule,
        seed,
        hardProjection,
        newDistillation);
  }

  /** Every problem with this spec, each naming the field and the bad value; empty when valid. */
  public List<String> violations() {
    List<String> out = new ArrayList<>();
    range(out, "training.floatEpochs", floatEpochs, 0, 1000);
    range(out, "training.qatEpochs", qatEpochs, 0, 1000);
    range(out, "training.calibrationEpochs", calibrationEpochs, 0, 1000);
    range(out, "training.batchSize", batchSize, 1, 65536);
    rate(out, "training.learningRate", learningRate);
    rate(out, "training.qatLearningRate", qatLearningRate);
    rate(out, "training.calibrationLearningRate", calibrationLearningRate);
    if (!(momentum >= 0 && momentum < 1)) {
      out.add("training.momentum: must be in [0, 1), got " + momentum);
    }
    if (distillation != null) {
      out.addAll(distillation.violations("training.distillation"));
    }
    return out;
  }

  private static void range(List<String> out, String field, int value, int min, int max) {
    if (value < min || value > max) {
      out.add(field + ": must be in " + min + ".." + max + ", got " + value);
    }
  }

  private static void rate(List<String> out, String field, double value) {
    if (!(value > 0) || Double.isInfinite(value) || value > 10) {
      out.add(field + ": must be a finite number in (0, 10], got " + value);
    }
  }
}
