package io.qatfleet.core.model;

/**
 * What a {@link ModelSpec} costs, computed from the spec alone before any graph or array exists, so
 * that a budget can refuse a model too large to build. Conv layers are 3×3 with SAME padding and a
 * bias, each followed by a 2×2 pool; dense layers have a bias; batch norm adds a scale, an offset
 * and two moving statistics per hidden channel or unit. FLOPs count a multiply-add as two, for the
 * forward pass of one sample (training costs about three times that). Arithmetic saturates at
 * {@link Long#MAX_VALUE} instead of overflowing.
 *
 * @param parameters weights, biases and batch-norm values
 * @param flopsPerSample floating-point operations of one sample's forward pass
 */
public record ModelCost(long parameters, long flopsPerSample) {

  /**
   * The cost of {@code spec}, which must have at most {@link ModelSpec#MAX_POOLED_LAYERS} conv
   * layers and positive sizes (its structural checks).
   */
  public static ModelCost of(ModelSpec spec) {
    long params = 0;
    long flops = 0;
    long h = spec.inputHeight();
    long w = spec.inputWidth();
    long channels = spec.inputChannels();
    long bn = spec.batchNorm() ? 4 : 0;
    long kernel = (long) LayerShape.KERNEL * LayerShape.KERNEL;
    for (int out : spec.convChannels()) {
      long weights = mul(mul(kernel, channels), out);
      params = add(params, add(weights, (1 + bn) * out));
      flops = add(flops, mul(mul(2, weights), mul(h, w)));
      channels = out;
      h /= 2;
      w /= 2;
    }
    long features = mul(mul(h, w), channels);
    for (int units : spec.denseUnits()) {
      long weights = mul(features, units);
      params = add(params, add(weights, (1 + bn) * units));
      flops = add(flops, mul(2, weights));
      features = units;
    }
    long weights = mul(features, spec.numClasses());
    params = add(params, add(weights, spec.numClasses()));
    flops = add(flops, mul(2, weights));
    return new ModelCost(params, flops);
  }

  private static long mul(long a, long b) {
    long r = a * b;
    long hi = Math.multiplyHigh(a, b);
    return (hi == 0 && r >= 0) ? r : Long.MAX_VALUE;
  }

  private static long add(long a, long b) {
    long r = a + b;
    return r < 0 ? Long.MAX_VALUE : r;
  }
}
