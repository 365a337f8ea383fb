package io.qatfleet.core.quant;

/**
 * Watches values (weights, or activations batch after batch) and proposes a step size for a {@link
 * QuantSpec}. Implementations are in {@link RangeObservers}.
 */
public interface RangeObserver {
  /** Folds {@code values[from, to)} into the observed statistics. */
  void observe(float[] values, int from, int to);

  default void observe(float[] values) {
    observe(values, 0, values.length);
  }

  /** The proposed step size, at least {@link RangeObservers#MIN_SCALE}. */
  float scale();

  /** The proposed zero point: 0 for symmetric specs. */
  int zeroPoint();
}
