package io.qatfleet.core.train;

/** Which block of variables a graph's optimizer updates (block-coordinate descent by phase). */
public enum Trainable {
  /** Inference only: no optimizer in the graph. */
  NONE,
  /** Kernels, biases and batch-norm scale/offset: float training, and QAT with fixed ranges. */
  WEIGHTS,
  /** Step sizes and clipping values only, weights frozen: the quantizer's calibration. */
  QUANT_PARAMS,
  /** Both blocks jointly: QAT with LSQ or PACT. */
  ALL
}
