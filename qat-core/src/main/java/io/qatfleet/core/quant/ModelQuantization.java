package io.qatfleet.core.quant;

import java.util.List;
import java.util.Set;

/**
 * How a whole model is fake-quantized in the graph: one quantizer pair per layer, the method, and
 * the PACT penalty. Built from a job's {@link QuantizationSpec}.
 *
 * @param floatLayers layers left in float (neither their weights nor their inputs quantized), for
 *     measuring one layer's sensitivity with the others float; empty in every trained graph
 */
public record ModelQuantization(
    List<LayerQuantSpec> layers, QatMethod method, float pactL2, Set<Integer> floatLayers) {
  public ModelQuantization {
    layers = List.copyOf(layers);
    floatLayers = floatLayers == null ? Set.of() : Set.copyOf(floatLayers);
    if (method == null) {
      throw new IllegalArgumentException("method: required, got null");
    }
    if (!(pactL2 >= 0)) {
      throw new IllegalArgumentException("pactL2: must be >= 0, got " + pactL2);
    }
  }

  /** Every layer quantized. */
  public ModelQuantization(List<LayerQuantSpec> layers, QatMethod method, float pactL2) {
    this(layers, method, pactL2, Set.of());
  }

  public static ModelQuantization of(QuantizationSpec spec, int layerCount) {
    return new ModelQuantization(
        spec.resolve(layerCount), spec.method(), spec.pactL2().floatValue());
  }

  /** This quantization with only layer {@code layer} quantized, every other layer float. */
  public ModelQuantization onlyLayer(int layer) {
    Set<Integer> others = new java.util.HashSet<>();
    for (int i = 0; i < layers.size(); i++) {
      if (i != layer) {
        others.add(i);
      }
    }
    return new ModelQuantization(layers, method, pactL2, others);
  }

  /** Whether layer {@code layer}'s weights and input are fake-quantized. */
  public boolean quantizes(int layer) {
    return !floatLayers.contains(layer);
  }

  /** Whether step sizes and clipping values are trainable variables (LSQ, PACT). */
  public boolean learnsParameters() {
    return method != QatMethod.STE;
  }
}
