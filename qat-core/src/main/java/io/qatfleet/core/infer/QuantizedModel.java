package io.qatfleet.core.infer;

import io.qatfleet.core.checkpoint.PackedLevels;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.quant.QuantSpec;
import java.util.List;

/**
 * An integer model: what the quantizer produces by projection and the validator runs. One {@link
 * QuantizedLayer} per weight layer of the spec's {@link io.qatfleet.core.model.LayerGraph}, in
 * order; a layer that reads the image takes the raw pixel bytes (step 1/255).
 */
public record QuantizedModel(ModelSpec spec, List<QuantizedLayer> layers) {
  public QuantizedModel {
    layers = List.copyOf(layers);
    if (layers.size() != spec.layerCount()) {
      throw new IllegalArgumentException(
          "layers: " + layers.size() + " for a model of " + spec.layerCount() + " layers");
    }
    List<LayerShape> shapes = spec.graph().layers();
    for (int i = 0; i < layers.size(); i++) {
      if (!layers.get(i).shape().equals(shapes.get(i))) {
        throw new IllegalArgumentException(
            "layers["
                + i
                + "]: shape "
                + layers.get(i).shape()
                + " is not the model's weight layer "
                + shapes.get(i));
      }
    }
  }

  /**
   * Bytes of the integer weights and biases as a quantized checkpoint stores them, without its
   * header: levels packed two or four per byte where the grid fits 4 or 2 bits ({@link
   * PackedLevels}), else one per byte; int32 biases; float32 scales and input step.
   */
  public long storageBytes() {
    long bytes = 0;
    for (QuantizedLayer l : layers) {
      QuantSpec w = l.weights().spec();
      int field = PackedLevels.fieldBits(w.qmin(), w.qmax());
      bytes +=
          PackedLevels.packedLength(l.weights().levels().length, field)
              + 4L * l.bias().length
              + 4L * l.weights().scales().length
              + 4;
    }
    return bytes;
  }
}
