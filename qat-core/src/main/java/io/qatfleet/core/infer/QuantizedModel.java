package io.qatfleet.core.infer;

import io.qatfleet.core.model.ModelSpec;
import java.util.List;

/**
 * An integer model: what the quantizer produces by projection and the validator runs. Layer 0's
 * input is the raw pixel byte (step 1/255).
 */
public record QuantizedModel(ModelSpec spec, List<QuantizedLayer> layers) {
  public QuantizedModel {
    layers = List.copyOf(layers);
    if (layers.size() != spec.layerCount()) {
      throw new IllegalArgumentException(
          "layers: " + layers.size() + " for a model of " + spec.layerCount() + " layers");
    }
  }

  /** Bytes of the integer weights and biases (int8 levels, int32 biases, float32 scales). */
  public long storageBytes() {
    long bytes = 0;
    for (QuantizedLayer l : layers) {
      bytes +=
          l.weights().levels().length + 4L * l.bias().length + 4L * l.weights().scales().length + 4;
    }
    return bytes;
  }
}
