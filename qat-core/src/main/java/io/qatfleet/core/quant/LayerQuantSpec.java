package io.qatfleet.core.quant;

/**
 * The quantizers of one weight layer: its weights, and the activations that enter it. The input of
 * layer 0 is the image, whose pixels are already on the 8-bit grid {@code k/255}.
 */
public record LayerQuantSpec(QuantSpec weights, QuantSpec input) {
  public LayerQuantSpec {
    if (weights == null || input == null) {
      throw new IllegalArgumentException("weights and input quantizers are both required");
    }
    if (!weights.signed()) {
      throw new IllegalArgumentException("weights: must be signed, got an unsigned spec");
    }
  }
}
