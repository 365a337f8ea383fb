package io.qatfleet.core.train;

import io.qatfleet.core.model.ModelGraph;

/** Receives progress from {@link Trainer#fit}; every method has a no-op default. */
public interface TrainingListener {
  TrainingListener NONE = new TrainingListener() {};

  /** Progress within an epoch, at most a few times per second. */
  default void onProgress(TrainingProgress progress) {}

  /**
   * End of an epoch: {@code graph} holds the weights after it, so a listener can export and
   * checkpoint them for resumption.
   */
  default void onEpochEnd(TrainingProgress progress, ModelGraph graph) {}
}
