package io.qatfleet.core.quant;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.qatfleet.core.model.LayerGraph;
import java.util.ArrayList;
import java.util.Collections;
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
 * @param weightBits bits of the weights of layers 1..n-2, or {@link #AUTO} ("auto" in JSON): the
 *     trainer chooses every layer's weight bits after the float baseline from the per-layer
 *     sensitivity, within {@code budget}, and writes them as {@code layers} overrides
 * @param maxBits the most weight bits any layer may be raised to (by a remedy, or by the automatic
 *     search); null for {@value QuantSpec#MAX_BITS}
 * @param budget what the quantized model may cost; required with automatic bits, a bound on raised
 *     bits otherwise
 */
public record QuantizationSpec(
    @JsonDeserialize(using = AutoBits.Reader.class) @JsonSerialize(using = AutoBits.Writer.class)
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
    Map<String, LayerBits> layers,
    @JsonInclude(JsonInclude.Include.NON_NULL) Integer maxBits,
    @JsonInclude(JsonInclude.Include.NON_NULL) QuantizationBudget budget) {

  /**
   * {@code weightBits} of a spec whose per-layer weight bits the trainer chooses: an in-memory
   * marker, "auto" in JSON.
   */
  public static final int AUTO = Integer.MIN_VALUE;

  /** The weight widths the automatic search chooses from, narrowest first. */
  public static final List<Integer> AUTO_CANDIDATE_BITS = List.of(2, 3, 4, 8);

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
    // Null entries kept, not a crash of the copy: violations() names them.
    layers = layers == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(layers));
  }

  /** A spec without a bits allowance or budget. */
  public QuantizationSpec(
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
    this(
        weightBits,
        activationBits,
        firstLastBits,
        method,
        granularity,
        narrowRange,
        weightObserver,
        activationObserver,
        percentile,
        pactL2,
        layers,
        null,
        null);
  }

  /** Whether the trainer chooses the weight bits ({@code "weightBits": "auto"}). */
  public boolean autoBits() {
    return weightBits == AUTO;
  }

  /** The most weight bits a layer may be raised to: {@code maxBits}, or 8 when absent. */
  public int bitsAllowance() {
    return maxBits == null ? QuantSpec.MAX_BITS : maxBits;
  }

  /**
   * Whether {@link #resolve} can run: every layer has its weight bits, which an automatic spec has
   * only once the trainer wrote its choice into {@code layers}.
   */
  public boolean resolved(int layerCount) {
    if (!autoBits()) {
      return true;
    }
    for (int i = 0; i < layerCount; i++) {
      LayerBits override = layers.get(Integer.toString(i));
      if (override == null || override.weightBits() == null) {
        return false;
      }
    }
    return true;
  }

  /**
   * This spec with every layer's weight bits pinned to {@code bits} (the automatic search's
   * choice), keeping any activation override; still {@code "auto"}, so that the report shows the
   * bits were chosen.
   */
  public QuantizationSpec withLayerWeightBits(int[] bits) {
    Map<String, Integer> byLayer = new TreeMap<>();
    for (int i = 0; i < bits.length; i++) {
      byLayer.put(Integer.toString(i), bits[i]);
    }
    return withLayerWeightBits(byLayer);
  }

  /** W{w}A{a} with first and last layer at 8 bits, the given method, per-channel weights. */
  public static QuantizationSpec of(int weightBits, int activationBits, QatMethod method) {
    return new QuantizationSpec(
        weightBits, activationBits, null, method, null, null, null, null, null, null, null);
  }

  /**
   * Automatic weight bits within {@code budget}, activations at {@code activationBits}, every other
   * field at its default.
   */
  public static QuantizationSpec auto(int activationBits, QuantizationBudget budget) {
    return new QuantizationSpec(
        AUTO, activationBits, null, null, null, null, null, null, null, null, null, null, budget);
  }

  /** This spec with other model-wide bit widths (first/last layer and overrides unchanged). */
  public QuantizationSpec withBits(int weights, int activations) {
    return copy(weights, activations, method, granularity, layers, budget);
  }

  /** This spec with another method and granularity; a null argument keeps the current one. */
  public QuantizationSpec with(QatMethod newMethod, Granularity newGranularity) {
    return copy(
        weightBits,
        activationBits,
        newMethod != null ? newMethod : method,
        newGranularity != null ? newGranularity : granularity,
        layers,
        budget);
  }

  /** This spec with another budget (null for none). */
  public QuantizationSpec withBudget(QuantizationBudget newBudget) {
    return copy(weightBits, activationBits, method, granularity, layers, newBudget);
  }

  /** This spec with the given fields replaced and every other one kept. */
  private QuantizationSpec copy(
      Integer newWeightBits,
      Integer newActivationBits,
      QatMethod newMethod,
      Granularity newGranularity,
      Map<String, LayerBits> newLayers,
      QuantizationBudget newBudget) {
    return new QuantizationSpec(
        newWeightBits,
        newActivationBits,
        firstLastBits,
        newMethod,
        newGranularity,
        narrowRange,
        weightObserver,
        activationObserver,
        percentile,
        pactL2,
        newLayers,
        maxBits,
        newBudget);
  }

  /**
   * This spec with the weight bits of some layers overridden ({@code layer index → bits}), their
   * activation overrides kept.
   */
  public QuantizationSpec withLayerWeightBits(Map<String, Integer> weightBitsByLayer) {
    Map<String, LayerBits> merged = new TreeMap<>(layers);
    weightBitsByLayer.forEach(
        (layer, bits) -> {
          LayerBits old = merged.get(layer);
          merged.put(layer, new LayerBits(bits, old == null ? null : old.activationBits()));
        });
    return copy(weightBits, activationBits, method, granularity, merged, budget);
  }

  /**
   * Every problem with this spec for a model of {@code layerCount} layers (-1: not known, as for a
   * model that is itself invalid; layer overrides are then not checked against it); empty when
   * valid.
   */
  public List<String> violations(int layerCount) {
    List<String> out = new ArrayList<>();
    if (!autoBits()) {
      checkBits(out, "quantization.weightBits", weightBits);
    } else if (budget == null) {
      out.add(
          "quantization.budget: required with \"weightBits\": \"auto\" (sizeKiB and/or bitOps)");
    }
    if (maxBits != null) {
      checkBits(out, "quantization.maxBits", maxBits);
      int floor = autoBits() ? AUTO_CANDIDATE_BITS.get(0) : weightBits;
      if (maxBits < floor) {
        out.add(
            "quantization.maxBits: must be >= "
                + (autoBits() ? "the smallest automatic width " : "weightBits ")
                + floor
                + ", got "
                + maxBits);
      }
    }
    if (budget != null) {
      out.addAll(budget.violations("quantization.budget"));
    }
    checkBits(out, "quantization.activationBits", activationBits);
    checkBits(out, "quantization.firstLastBits", firstLastBits);
    if (!(percentile > 50 && percentile <= 100)) {
      out.add("quantization.percentile: must be in (50, 100], got " + percentile);
    }
    if (!(pactL2 >= 0) || pactL2.isInfinite()) {
      out.add("quantization.pactL2: must be finite and >= 0, got " + pactL2);
    }
    if (layers.size() > LayerGraph.MAX_LAYERS) {
      out.add(
          "quantization.layers: at most "
              + LayerGraph.MAX_LAYERS
              + " entries (one per layer), got "
              + layers.size());
      return out;
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
      if (index < 0 || (layerCount >= 0 && index >= layerCount)) {
        out.add(field + ": no such layer, the model has layers 0.." + (layerCount - 1));
      }
      LayerBits bits = e.getValue();
      if (bits == null) {
        out.add(field + ": must be an object with weightBits and/or activationBits, got null");
      }
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

  /**
   * One quantizer pair per weight layer; throws on an invalid spec, and on an automatic one whose
   * bits are not chosen yet ({@link #resolved}).
   */
  public List<LayerQuantSpec> resolve(int layerCount) {
    List<String> problems = violations(layerCount);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    if (!resolved(layerCount)) {
      throw new IllegalStateException(
          "quantization.weightBits: \"auto\", and the trainer has not chosen the layers' bits yet");
    }
    List<LayerQuantSpec> out = new ArrayList<>(layerCount);
    for (int i = 0; i < layerCount; i++) {
      boolean edge = i == 0 || i == layerCount - 1;
      int w = edge ? firstLastBits : weightBits;
      LayerBits override = layers.get(Integer.toString(i));
      if (override != null && override.weightBits() != null) {
        w = override.weightBits();
      }
      int a = inputBits(i, layerCount);
      out.add(
          new LayerQuantSpec(
              new QuantSpec(w, true, true, narrowRange && w > 1, granularity),
              QuantSpec.unsignedActivations(a)));
    }
    return out;
  }

  /** Bits of the activations entering layer {@code i} of {@code layerCount} (8 for pixels). */
  public int inputBits(int i, int layerCount) {
    boolean edge = i == 0 || i == layerCount - 1;
    int a = i == 0 ? INPUT_BITS : (edge ? firstLastBits : activationBits);
    LayerBits override = layers.get(Integer.toString(i));
    if (override != null && override.activationBits() != null) {
      a = override.activationBits();
    }
    return a;
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
