package io.qatfleet.core.quant;

/**
 * How one tensor is quantized: a uniform grid of {@code bits} bits.
 *
 * <ul>
 *   <li>signed symmetric (weights): {@code q = clamp(round(x/s), -qn, qp)}, {@code qp = 2^(b-1)-1},
 *       {@code qn = qp} with narrow range, else {@code qp+1};
 *   <li>unsigned (post-ReLU activations): {@code qn = 0}, {@code qp = 2^b-1};
 *   <li>asymmetric: an integer zero point {@code z} shifts the grid, {@code x̂ =
 *       s·(clamp(round(x/s) + z, qmin, qmax) - z)}.
 * </ul>
 *
 * Impossible combinations fail here, at construction, naming the field and the value.
 */
public record QuantSpec(
    int bits, boolean signed, boolean symmetric, boolean narrowRange, Granularity granularity) {

  public static final int MIN_BITS = 1;
  public static final int MAX_BITS = 8;

  public QuantSpec {
    if (bits < MIN_BITS || bits > MAX_BITS) {
      throw new IllegalArgumentException(
          "bits: must be in " + MIN_BITS + ".." + MAX_BITS + ", got " + bits);
    }
    if (granularity == null) {
      throw new IllegalArgumentException(
          "granularity: must be PER_TENSOR or PER_CHANNEL, got null");
    }
    if (narrowRange && !(signed && symmetric)) {
      throw new IllegalArgumentException(
          "narrowRange: only applies to signed symmetric quantizers, got signed="
              + signed
              + " symmetric="
              + symmetric);
    }
    if (narrowRange && bits == 1) {
      throw new IllegalArgumentException(
          "narrowRange: with bits=1 the signed narrow grid is the single level {0}");
    }
  }

  /** Signed symmetric weights, narrow range by default as in the LSQ paper. */
  public static QuantSpec weights(int bits, Granularity granularity) {
    return new QuantSpec(bits, true, true, bits > 1, granularity);
  }

  /** Unsigned per-tensor activations (inputs that follow a ReLU or are pixels in [0, 1]). */
  public static QuantSpec unsignedActivations(int bits) {
    return new QuantSpec(bits, false, true, false, Granularity.PER_TENSOR);
  }

  /** Smallest integer level. For symmetric specs this is {@code -qn}. */
  public int qmin() {
    if (!signed) {
      return 0;
    }
    return narrowRange ? -qmaxSigned() : -qmaxSigned() - 1;
  }

  /** Largest integer level. */
  public int qmax() {
    return signed ? qmaxSigned() : (1 << bits) - 1;
  }

  /** Qn of the LSQ paper: the number of levels below zero. */
  public int qn() {
    return -qmin();
  }

  /** Qp of the LSQ paper: the number of levels above zero. */
  public int qp() {
    return qmax();
  }

  /** One-bit grids train poorly with the straight-through estimator; callers should warn. */
  public boolean weakForSte() {
    return bits == 1;
  }

  /**
   * Number of step sizes this spec needs for a tensor of {@code shape}: 1 per tensor, or the size
   * of the last (output-channel) dimension.
   */
  public int scaleCount(long[] shape) {
    if (granularity == Granularity.PER_TENSOR) {
      return 1;
    }
    if (shape.length == 0) {
      throw new IllegalArgumentException(
          "granularity: PER_CHANNEL needs a tensor with an output-channel dimension, got a scalar");
    }
    return Math.toIntExact(shape[shape.length - 1]);
  }

  private int qmaxSigned() {
    return (1 << (bits - 1)) - 1;
  }
}
