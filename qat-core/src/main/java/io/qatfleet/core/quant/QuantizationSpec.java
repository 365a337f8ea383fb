package io.qatfleet.core.quant;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The quantization part of a job spec: bit widths, method and observers for the whole model, with
 * optional per-layer overrides. First and last layer default to {@value #DEFAULT_FIRST_LAST_BITS}
 * bits, as in the LSQ paper. {@link #resolve(int)} turns it into one {@link LayerQuantSpec} per
 * weight layer.
 *
 * @param activationBits bits of the activations entering layers 1..n-1 (layer 0's input is the
 *     image, always 8-bit)
 * @param layers overrides keyed by layer index ("0", "1", …), applied last
 * @param percentile the percentile of |x| used by {@link ObserverKind#PERCENTILE}
 * @param narrowRange symmetric weight grids without the extra negative level (ignored for 1-bit
 *     layers, whose narrow grid would be {0})
 * @param pactL2 weight of the L2 penalty on PACT clipping values
 */
public record QuantizationSpec(
    Integer weightBits,
    Integer activationBits,
    Integer firstLastBits,
    QatMethod method,
    Granularity granularity,
    Boolean narrowRange,
    ObserverKind weightObserver,
    ObserverKind activationObserver,
    Double percentile,
    Double pactL2,
    Map<String, LayerBits> layers) {

  public static final int DEFAULT_FIRST_LAST_BITS = 8;
  public static final int INPUT_BITS = 8;
  public static final double DEFAULT_PERCENTILE = 99.99;
  public static final double DEFAULT_PACT_L2 = 1e-4;

  /** Per-layer override; a null field keeps the model-wide value. */
  public record LayerBits(Integer weightBits, Integer activationBits) {}

  public QuantizationSpec {
    weightBits = weightBits == null ? 8 : weightBits;
    activationBits = activationBits == null ? 8 : activationBits;
    firstLastBits = firstLastBits == null ? DEFAULT_FIRST_LAST_BITS : firstLastBits;
    method = method == null ? QatMethod.LSQ_PACT : method;
    granularity = granularity == null ? Granularity.PER_CHANNEL : granularity;
    narrowRange = narrowRange == null || narrowRange;
    weightObserver = weightObserver == null ? ObserverKind.MIN_MAX : weightObserver;
    activationObserver = activationObserver == null ? ObserverKind.MSE : activationObserver;
    percentile = percentile == null ? DEFAULT_PERCENTILE : percentile;
    pactL2 = pactL2 == null ? DEFAULT_PACT_L2 : pactL2;
    layers = layers == null ? Map.of() : Map.copyOf(new TreeMap<>(layers));
  }

  /** W{w}A{a} with first and last layer at 8 bits, the given method, per-channel weights. */
  public static QuantizationSpec of(int weightBits, int activationBits, QatMethod method) {
    return new QuantizationSpec(
        weightBits, activationBits, null, method, null, null, null, null, null, null, null);
  }

  /** This spec with other model-wide bit widths (first/last layer and overrides unchanged). */
  public QuantizationSpec withBits(int weights, int activations) {
    return new QuantizationSpec(
        weights,
        activations,
        firstLastBits,
        method,
        granularity,
        narrowRange,
        weightObserver,
        activationObserver,
        percentile,
        pactL2,
        layers);
  }

  /** This spec with another method and granularity; a null argument keeps the current one. */
  public QuantizationSpec with(QatMethod newMethod, Granularity newGranularity) {
    return new QuantizationSpec(
        weightBits,
        activationBits,
        firstLastBits,
        newMethod != null ? newMethod : method,
        newGranularity != null ? newGranularity : granularity,
        narrowRange,
        weightObserver,
        activationObserver,
        percentile,
        pactL2,
        layers);
  }

  /** Every problem with this spec for a model of {@code layerCount} layers; empty when valid. */
  public List<String> violations(int layerCount) {
    List<String> out = new ArrayList<>();
    checkBits(out, "quantization.weightBits", weightBits);
    checkBits(out, "quantization.activationBits", activationBits);
    checkBits(out, "quantization.firstLastBits", firstLastBits);
    if (!(percentile > 50 && percentile <= 100)) {
      out.add("quantization.percentile: must be in (50, 100], got " + percentile);
    }
    if (!(pactL2 >= 0) || pactL2.isInfinite()) {
      out.add("quantization.pactL2: must be finite and >= 0, got " + pactL2);
    }
    for (Map.Entry<String, LayerBits> e : layers.entrySet()) {
      String field = "quantization.layers." + e.getKey();
      int index;
      try {
        index = Integer.parseInt(e.getKey());
      } catch (NumberFormatException ex) {
        out.add(field + ": layer keys must be integers, got '" + e.getKey() + "'");
        continue;
      }
      if (index < 0 || index >= layerCount) {
        out.add(field + ": no such layer, the model has layers 0.." + (layerCount - 1));
      }
      LayerBits bits = e.getValue();
      if (bits != null && bits.weightBits() != null) {
        checkBits(out, field + ".weightBits", bits.weightBits());
      }
      if (bits != null && bits.activationBits() != null) {
        checkBits(out, field + ".activationBits", bits.activationBits());
        if (index == 0 && bits.activationBits() != INPUT_BITS) {
          out.add(
              field + ".activationBits: layer 0 reads 8-bit pixels, got " + bits.activationBits());
        }
      }
    }
    return out;
  }

  /** One quantizer pair per weight layer; throws on an invalid spec. */
  public List<LayerQuantSpec> resolve(int layerCount) {
    List<String> problems = violations(layerCount);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    List<LayerQuantSpec> out = new ArrayList<>(layerCount);
    for (int i = 0; i < layerCount; i++) {
      boolean edge = i == 0 || i == layerCount - 1;
      int w = edge ? firstLastBits : weightBits;
      int a = i == 0 ? INPUT_BITS : (edge ? firstLastBits : activationBits);
      LayerBits override = layers.get(Integer.toString(i));
      if (override != null && override.weightBits() != null) {
        w = override.weightBits();
      }
      if (override != null && override.activationBits() != null) {
        a = override.activationBits();
      }
      out.add(
          new LayerQuantSpec(
              new QuantSpec(w, true, true, narrowRange && w > 1, granularity),
              QuantSpec.unsignedActivations(a)));
    }
    return out;
  }

  private static void checkBits(List<String> out, String field, int bits) {
    if (bits < QuantSpec.MIN_BITS || bits > QuantSpec.MAX_BITS) {
      out.add(
          field
              + ": must be in "
              + QuantSpec.MIN_BITS
              + ".."
              + QuantSpec.MAX_BITS
              + ", got "
              + bits);
    }
  }
}
