package io.qatfleet.core.train;

import io.qatfleet.core.model.ModelGraph;

/** Receives progress from {@link Trainer#fit}; every method has a no-op default. */
public interface TrainingListener {
  TrainingListener NONE = new TrainingListener() {};

  /**
   * Before every training step ({@code step} 0-based within {@code epoch}). A listener that throws
   * stops training there, before the step runs: how a cancelled job or one past its deadline stops
   * at the next step. Called once per step, so it must be cheap.
   */
  default void beforeStep(int epoch, int step) {}

  /** Progress within an epoch, at most a few times per second. */
  default void onProgress(TrainingProgress progress) {}

  /**
   * End of an epoch: {@code graph} holds the weights after it, so a listener can export and
   * checkpoint them for resumption.
   */
  default void onEpochEnd(TrainingProgress progress, ModelGraph graph) {}
}
