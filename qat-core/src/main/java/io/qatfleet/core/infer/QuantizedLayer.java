package io.qatfleet.core.infer;

import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelGraph;
import io.qatfleet.core.quant.QuantSpec;
import io.qatfleet.core.quant.QuantizedTensor;

/**
 * One layer of an integer model: int8 weight levels with their step sizes, the bias as int32 at the
 * accumulator's scale {@code inputScale·weightScale[c]}, and the step size and grid of the unsigned
 * activations entering it (for a layer that {@linkplain LayerShape#readsImage() reads the image},
 * the pixel step 1/255: its input is the pixel bytes, not quantized).
 */
public record QuantizedLayer(
    LayerShape shape, QuantizedTensor weights, int[] bias, float inputScale, QuantSpec inputSpec) {
  public QuantizedLayer {
    if (bias.length != shape.outChannels()) {
      throw new IllegalArgumentException(
          "bias: " + bias.length + " values for " + shape.outChannels() + " output channels");
    }
    if (!(inputScale > 0) || Float.isInfinite(inputScale)) {
      throw new IllegalArgumentException("inputScale: must be finite and > 0, got " + inputScale);
    }
    if (shape.readsImage() && inputScale != ModelGraph.PIXEL_STEP) {
      throw new IllegalArgumentException(
          "inputScale: layer "
              + shape.index()
              + " reads the image, whose step is 1/255, got "
              + inputScale);
    }
    if (inputSpec.signed()) {
      throw new IllegalArgumentException("inputSpec: activations must be unsigned, got signed");
    }
  }

  /** Step size of the int32 accumulator of output channel {@code c}. */
  public double accumulatorScale(int c) {
    return (double) inputScale * weights.scales()[weights.scales().length == 1 ? 0 : c];
  }
}
