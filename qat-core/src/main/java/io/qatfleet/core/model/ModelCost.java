package io.qatfleet.core.model;

/**
 * What a {@link ModelSpec} costs, computed from its layer graph's shapes before any TensorFlow
 * graph or array exists, so that a budget can refuse a model too large to build. Conv and dense
 * layers have a bias; batch norm adds a scale, an offset and two moving statistics per channel.
 * FLOPs count a multiply-add as two, for the forward pass of one sample as the trainer computes it
 * (training costs about three times that; a depthwise conv counts as the dense conv with a
 * block-diagonal kernel that TensorFlow runs), and leave out the element-wise layers (ReLU,
 * pooling, adds), whose cost is small beside the weight layers'. Arithmetic saturates at {@link
 * Long#MAX_VALUE} instead of overflowing.
 *
 * @param parameters weights, biases and batch-norm values
 * @param flopsPerSample floating-point operations of one sample's forward pass
 */
public record ModelCost(long parameters, long flopsPerSample) {

  /** The cost of {@code spec}, which must be valid ({@link ModelSpec#violations()} empty). */
  public static ModelCost of(ModelSpec spec) {
    long params = 0;
    long flops = 0;
    for (LayerShape l : LayerShape.of(spec)) {
      // In long: a dense layer's in × out may pass Integer.MAX_VALUE before the budget refuses it.
      long weights = mul(l.fanIn(), l.outChannels());
      long bn = l.batchNorm() ? 4 : 0;
      params = add(params, add(weights, (1 + bn) * l.outChannels()));
      long positions = (long) l.outHeight() * l.outWidth();
      // The trainer runs a depthwise conv as a dense conv with a block-diagonal kernel (no
      // gradient for the depthwise op): budget what it computes, C times the depthwise count.
      long computed = l.depthwise() ? mul(weights, l.inChannels()) : weights;
      flops = add(flops, mul(mul(2, computed), positions));
    }
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
