package io.qatfleet.core.train;

/**
 * One training phase: epochs {@code startEpoch..epochs-1} (a resumed phase starts later), with the
 * learning-rate schedule spanning all {@code epochs}. Shuffling is seeded per epoch, so a resumed
 * phase sees the same batches as an uninterrupted one.
 */
public record FitOptions(
    int epochs,
    int startEpoch,
    int batchSize,
    double learningRate,
    LrSchedule schedule,
    long seed) {
  public FitOptions {
    if (epochs < 0) {
      throw new IllegalArgumentException("epochs: must be >= 0, got " + epochs);
    }
    if (startEpoch < 0 || startEpoch > epochs) {
      throw new IllegalArgumentException(
          "startEpoch: must be in 0.." + epochs + ", got " + startEpoch);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize: must be >= 1, got " + batchSize);
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException(
          "learningRate: must be finite and > 0, got " + learningRate);
    }
  }
}
