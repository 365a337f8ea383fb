package io.qatfleet.core.quant;

/** Range observers used to initialise or calibrate step sizes. See {@link RangeObservers}. */
public enum ObserverKind {
  /** Smallest and largest value seen. */
  MIN_MAX,
  /** Exponential moving average of per-batch minima and maxima. */
  EMA_MIN_MAX,
  /** A high percentile of |x| (robust to outliers). */
  PERCENTILE,
  /** The clipping range that minimises the quantization mean squared error. */
  MSE,
  /** The LSQ paper's initialisation, s = 2·mean(|x|)/sqrt(Qp). */
  LSQ_INIT
}
