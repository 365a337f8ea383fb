package io.qatfleet.core.quant;

/** Whether a tensor shares one step size or has one per output channel (its last dimension). */
public enum Granularity {
  PER_TENSOR,
  PER_CHANNEL
}
