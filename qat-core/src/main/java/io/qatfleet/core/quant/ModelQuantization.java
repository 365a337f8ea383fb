package io.qatfleet.core.quant;

import java.util.List;

/**
 * How a whole model is fake-quantized in the graph: one quantizer pair per layer, the method, and
 * the PACT penalty. Built from a job's {@link QuantizationSpec}.
 */
public record ModelQuantization(List<LayerQuantSpec> layers, QatMethod method, float pactL2) {
  public ModelQuantization {
    layers = List.copyOf(layers);
    if (method == null) {
      throw new IllegalArgumentException("method: required, got null");
    }
    if (!(pactL2 >= 0)) {
      throw new IllegalArgumentException("pactL2: must be >= 0, got " + pactL2);
    }
  }

  public static ModelQuantization of(QuantizationSpec spec, int layerCount) {
    return new ModelQuantization(
        spec.resolve(layerCount), spec.method(), spec.pactL2().floatValue());
  }

  /** Whether step sizes and clipping values are trainable variables (LSQ, PACT). */
  public boolean learnsParameters() {
    return method != QatMethod.STE;
  }
}
