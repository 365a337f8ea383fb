package io.qatfleet.core.quant;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How much one layer costs the model when only that layer is quantized: the model runs in float
 * except layer {@code layer}, whose weights (and the activations entering it) are fake-quantized to
 * {@code bits}, on the calibration split. Produced by {@link Sensitivity}; carried per layer on the
 * validator's report and used by the mixed-precision search and the remedy policy.
 *
 * @param layer index of the weight layer, 0 = input side
 * @param name short layer name ({@code conv0}, {@code dense2}, {@code output3})
 * @param bits weight bits the layer was quantized to for this measurement
 * @param accuracyDrop float accuracy minus accuracy with this layer quantized (fraction, may be
 *     negative when quantization happens to help)
 * @param lossIncrease mean cross-entropy with this layer quantized minus the float model's (may be
 *     negative)
 */
public record LayerSensitivity(
    @JsonProperty(required = true) int layer,
    @JsonProperty(required = true) String name,
    @JsonProperty(required = true) int bits,
    @JsonProperty(required = true) double accuracyDrop,
    @JsonProperty(required = true) double lossIncrease) {

  /**
   * Most layers a sensitivity table may describe: a bound checked before a hostile list is used
   * (the largest models a job budget admits have far fewer weight layers).
   */
  public static final int MAX_LAYERS = 256;

  /** Longest layer name accepted. */
  public static final int MAX_NAME_LENGTH = 64;

  public LayerSensitivity {
    if (layer < 0 || layer >= MAX_LAYERS) {
      throw new IllegalArgumentException(
          "layer: must be in 0.." + (MAX_LAYERS - 1) + ", was " + layer);
    }
    if (name == null || name.isBlank() || name.length() > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException(
          "name: must be 1.." + MAX_NAME_LENGTH + " characters, was " + quoted(name));
    }
    if (bits < QuantSpec.MIN_BITS || bits > QuantSpec.MAX_BITS) {
      throw new IllegalArgumentException(
          "bits: must be in " + QuantSpec.MIN_BITS + ".." + QuantSpec.MAX_BITS + ", was " + bits);
    }
    if (!(accuracyDrop >= -1 && accuracyDrop <= 1)) {
      throw new IllegalArgumentException("accuracyDrop: must be in [-1, 1], was " + accuracyDrop);
    }
    if (!Double.isFinite(lossIncrease)) {
      throw new IllegalArgumentException("lossIncrease: must be finite, was " + lossIncrease);
    }
  }

  /**
   * Checks a per-layer table as it travels: at most {@link #MAX_LAYERS} entries, entry {@code i}
   * describing layer {@code i} (one entry per layer, in order). Returns an immutable copy; null
   * stays null (no table measured).
   */
  public static List<LayerSensitivity> perLayer(String field, List<LayerSensitivity> table) {
    if (table == null) {
      return null;
    }
    if (table.size() > MAX_LAYERS) {
      throw new IllegalArgumentException(
          field + ": at most " + MAX_LAYERS + " layers, was " + table.size());
    }
    List<LayerSensitivity> out = new ArrayList<>(table.size());
    for (int i = 0; i < table.size(); i++) {
      LayerSensitivity s = table.get(i);
      if (s == null) {
        throw new IllegalArgumentException(field + "[" + i + "] must not be null");
      }
      if (s.layer() != i) {
        throw new IllegalArgumentException(
            field
                + "["
                + i
                + "].layer: must be "
                + i
                + " (one entry per layer, in order), was "
                + s.layer());
      }
      out.add(s);
    }
    return List.copyOf(out);
  }

  /** {@code table} keyed by layer index; empty for null. */
  public static Map<Integer, LayerSensitivity> byLayer(List<LayerSensitivity> table) {
    Map<Integer, LayerSensitivity> out = new LinkedHashMap<>();
    if (table != null) {
      table.forEach(s -> out.put(s.layer(), s));
    }
    return out;
  }

  private static String quoted(String s) {
    return s == null ? "null" : "'" + (s.length() > 80 ? s.substring(0, 80) + "…" : s) + "'";
  }
}
