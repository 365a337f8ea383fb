package io.qatfleet.core.quant;

/**
 * A tensor projected onto an integer grid: int8 levels (any spec of at most 8 signed bits fits),
 * one step size and zero point per tensor or per output channel (last dimension).
 */
public record QuantizedTensor(
    long[] shape, byte[] levels, float[] scales, int[] zeroPoints, QuantSpec spec) {

  public QuantizedTensor {
    long count = 1;
    for (long d : shape) {
      count *= d;
    }
    if (levels.length != count) {
      throw new IllegalArgumentException(
          "levels: " + levels.length + " values for a tensor of " + count + " elements");
    }
    if (scales.length != spec.scaleCount(shape) || zeroPoints.length != scales.length) {
      throw new IllegalArgumentException(
          "scales: expected " + spec.scaleCount(shape) + " step sizes, got " + scales.length);
    }
  }

  /** Channel (index into {@link #scales()}) of element {@code i}. */
  public int channelOf(int i) {
    return scales.length == 1 ? 0 : i % scales.length;
  }

  /** {@code s·(q - z)} for every element. */
  public float[] dequantize() {
    float[] out = new float[levels.length];
    for (int i = 0; i < out.length; i++) {
      int c = channelOf(i);
      out[i] = scales[c] * (levels[i] - zeroPoints[c]);
    }
    return out;
  }
}
