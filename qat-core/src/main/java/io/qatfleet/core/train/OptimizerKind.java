package io.qatfleet.core.train;

/** Optimizers from tensorflow-framework, driven with a fed learning rate for schedules. */
public enum OptimizerKind {
  ADAM,
  SGD_MOMENTUM
}
