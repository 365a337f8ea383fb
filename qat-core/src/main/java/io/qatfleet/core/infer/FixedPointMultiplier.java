package io.qatfleet.core.infer;

/**
 * A positive real multiplier {@code M} as an integer {@code m0 ∈ [2^30, 2^31)} and a right shift,
 * {@code M ≈ m0·2^-(31+shift)}, so that requantization is an int64 multiply, a rounding add and a
 * shift (as in gemmlowp and TFLite, Jacob et al. 2018). Relative error below 2^-30.
 */
public record FixedPointMultiplier(int m0, int shift) {
  private static final long ONE_Q31 = 1L << 31;

  public FixedPointMultiplier {
    if (m0 < (1 << 30)) {
      throw new IllegalArgumentException("m0: must be in [2^30, 2^31), got " + m0);
    }
    if (31 + shift <= 0 || 31 + shift >= 63) {
      throw new IllegalArgumentException("shift: total shift 31+" + shift + " out of range");
    }
  }

  public static FixedPointMultiplier of(double multiplier) {
    if (!(multiplier > 0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier: must be finite and > 0, got " + multiplier);
    }
    int exponent = Math.getExponent(multiplier) + 1; // multiplier = f·2^exponent, f in [0.5, 1)
    double fraction = multiplier / Math.scalb(1.0, exponent);
    long m = Math.round(fraction * ONE_Q31);
    if (m == ONE_Q31) {
      m /= 2;
      exponent++;
    }
    return new FixedPointMultiplier((int) m, -exponent);
  }

  /** {@code round(value·M)}, ties rounded up. */
  public int apply(int value) {
    int total = 31 + shift;
    long product = (long) value * m0;
    return (int) ((product + (1L << (total - 1))) >> total);
  }

  /**
   * {@code round(value·M)}, ties rounded up, saturated to the int32 range (for multipliers above 1,
   * where the product may not fit).
   */
  public int applySaturating(int value) {
    int total = 31 + shift;
    long product = (long) value * m0;
    long q = (product + (1L << (total - 1))) >> total;
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, q));
  }

  public double value() {
    return m0 / (double) ONE_Q31 * Math.scalb(1.0, -shift);
  }
}
