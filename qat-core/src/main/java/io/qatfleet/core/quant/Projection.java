package io.qatfleet.core.quant;

/**
 * The projection {@code Π(w) = s·clamp(round(w/s) + z, qmin, qmax)} of float weights onto the
 * integer grid, producing the int8 levels stored in quantized checkpoints. Rounds half to even, as
 * TensorFlow's Round does, so that projected weights equal the fake-quantized ones.
 */
public final class Projection {
  private Projection() {}

  /** Projects {@code values} of {@code shape} with one step size per entry of {@code scales}. */
  public static QuantizedTensor project(
      float[] values, long[] shape, float[] scales, int[] zeroPoints, QuantSpec spec) {
    if (spec.bits() > 8 || (!spec.signed() && spec.bits() == 8)) {
      throw new IllegalArgumentException(
          "spec: int8 storage holds signed grids of at most 8 bits, got " + spec);
    }
    byte[] levels = new byte[values.length];
    QuantizedTensor out = new QuantizedTensor(shape, levels, scales, zeroPoints, spec);
    for (int i = 0; i < values.length; i++) {
      int c = out.channelOf(i);
      levels[i] = (byte) level(values[i], scales[c], zeroPoints[c], spec);
    }
    return out;
  }

  /** Symmetric projection (all zero points 0). */
  public static QuantizedTensor project(
      float[] values, long[] shape, float[] scales, QuantSpec spec) {
    return project(values, shape, scales, new int[scales.length], spec);
  }

  /** The integer level of one value. */
  public static int level(float value, float scale, int zeroPoint, QuantSpec spec) {
    double q = Math.rint(value / scale) + zeroPoint;
    return (int) Math.max(spec.qmin(), Math.min(spec.qmax(), q));
  }
}
