package io.qatfleet.core.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One layer of a model's layer graph as the job spec writes it, e.g. {@code {"type": "conv2d",
 * "filters": 32, "kernel": 3, "stride": 2, "padding": 1}}. A layer reads the previous layer's
 * output unless {@code input} names an earlier layer; {@code add} sums its input and the layer
 * named by {@code with} (a residual join). Fields a type does not take are errors, not ignored;
 * {@link LayerGraph} checks the whole graph (references, shapes, caps).
 *
 * @param type conv2d, batchNorm, relu, relu6, maxPool, avgPool, globalAvgPool, add, flatten, dense
 * @param name unique name (letters, digits, {@code _ . -}); defaults to the type and position
 * @param input the earlier layer this one reads; defaults to the previous layer
 * @param with add only: the earlier layer whose output is added
 * @param filters conv2d: output channels (with groups = input channels: must equal them)
 * @param kernel conv2d: kernel height and width (default 3)
 * @param stride conv2d (default 1), maxPool and avgPool (default the pool size)
 * @param padding conv2d: zero rows and columns on every side (default kernel / 2)
 * @param groups conv2d: 1 (default) or the input channels (depthwise)
 * @param size maxPool and avgPool: window height and width (default 2)
 * @param units dense: outputs (the last dense layer defaults to the model's numClasses)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LayerSpec(
    String type,
    String name,
    String input,
    String with,
    Integer filters,
    Integer kernel,
    Integer stride,
    Integer padding,
    Integer groups,
    Integer size,
    Integer units) {

  /** The layer types, with their JSON names. */
  public enum Kind {
    CONV2D("conv2d", Set.of("filters", "kernel", "stride", "padding", "groups")),
    BATCH_NORM("batchNorm", Set.of()),
    RELU("relu", Set.of()),
    RELU6("relu6", Set.of()),
    MAX_POOL("maxPool", Set.of("size", "stride")),
    AVG_POOL("avgPool", Set.of("size", "stride")),
    GLOBAL_AVG_POOL("globalAvgPool", Set.of()),
    ADD("add", Set.of("with")),
    FLATTEN("flatten", Set.of()),
    DENSE("dense", Set.of("units"));

    private final String json;
    private final Set<String> fields;

    Kind(String json, Set<String> fields) {
      this.json = json;
      this.fields = fields;
    }

    public String json() {
      return json;
    }

    /** Whether this kind has weights (and so a quantized weight layer). */
    public boolean weighted() {
      return this == CONV2D || this == DENSE;
    }

    /** The kind named {@code type} in JSON, or null. */
    public static Kind of(String type) {
      for (Kind k : values()) {
        if (k.json.equals(type)) {
          return k;
        }
      }
      return null;
    }

    static String names() {
      List<String> out = new ArrayList<>();
      for (Kind k : values()) {
        out.add(k.json);
      }
      return String.join(", ", out);
    }
  }

  // ------------------------------------------------------------- builders for presets and tests

  public static LayerSpec conv(String name, int filters, int kernel, int stride, int padding) {
    return new LayerSpec(
        "conv2d", name, null, null, filters, kernel, stride, padding, null, null, null);
  }

  /** A depthwise 3×3 convolution over {@code channels} channels. */
  public static LayerSpec depthwise(String name, int channels, int stride) {
    return new LayerSpec("conv2d", name, null, null, channels, 3, stride, 1, channels, null, null);
  }

  public static LayerSpec of(String type) {
    return new LayerSpec(type, null, null, null, null, null, null, null, null, null, null);
  }

  public static LayerSpec named(String type, String name) {
    return new LayerSpec(type, name, null, null, null, null, null, null, null, null, null);
  }

  public static LayerSpec pool(String type, int size, int stride) {
    return new LayerSpec(type, null, null, null, null, null, stride, null, null, size, null);
  }

  public static LayerSpec dense(int units) {
    return new LayerSpec("dense", null, null, null, null, null, null, null, null, null, units);
  }

  public static LayerSpec add(String name, String with) {
    return new LayerSpec("add", name, null, with, null, null, null, null, null, null, null);
  }

  /** This layer reading {@code from} instead of the previous layer. */
  public LayerSpec from(String from) {
    return new LayerSpec(
        type, name, from, with, filters, kernel, stride, padding, groups, size, units);
  }

  /** The kind, or null when {@code type} is unknown. */
  public Kind kind() {
    return Kind.of(type);
  }

  /**
   * Problems of this layer on its own (type, fields the type does not take, field ranges), each
   * prefixed with {@code where}; the graph checks the rest.
   */
  List<String> violations(String where) {
    List<String> out = new ArrayList<>();
    Kind k = kind();
    if (k == null) {
      out.add(where + ".type: must be one of " + Kind.names() + ", got " + quoted(type));
      return out;
    }
    checkField(out, where, k, "with", with);
    checkField(out, where, k, "filters", filters);
    checkField(out, where, k, "kernel", kernel);
    checkField(out, where, k, "stride", stride);
    checkField(out, where, k, "padding", padding);
    checkField(out, where, k, "groups", groups);
    checkField(out, where, k, "size", size);
    checkField(out, where, k, "units", units);
    if (k == Kind.ADD && with == null) {
      out.add(where + ".with: an add layer names the earlier layer it adds");
    }
    if (k == Kind.CONV2D && filters == null) {
      out.add(where + ".filters: required for conv2d");
    }
    range(out, where + ".filters", filters, 1, LayerGraph.MAX_CHANNELS);
    range(out, where + ".kernel", kernel, 1, LayerGraph.MAX_KERNEL);
    range(out, where + ".stride", stride, 1, LayerGraph.MAX_STRIDE);
    range(out, where + ".padding", padding, 0, LayerGraph.MAX_KERNEL - 1);
    range(out, where + ".groups", groups, 1, LayerGraph.MAX_CHANNELS);
    range(out, where + ".size", size, 1, LayerGraph.MAX_POOL);
    range(out, where + ".units", units, 1, LayerGraph.MAX_UNITS);
    return out;
  }

  private static void checkField(List<String> out, String where, Kind k, String field, Object v) {
    if (v != null && !k.fields.contains(field)) {
      out.add(where + "." + field + ": " + k.json + " takes no " + field);
    }
  }

  private static void range(List<String> out, String field, Integer v, int min, int max) {
    if (v != null && (v < min || v > max)) {
      out.add(field + ": must be in " + min + ".." + max + ", got " + v);
    }
  }

  /** {@code s} in quotes for a message, cut to 64 characters (it may be hostile). */
  static String quoted(String s) {
    if (s == null) {
      return "nothing";
    }
    return "\"" + (s.length() > 64 ? s.substring(0, 64) + "…" : s) + "\"";
  }
}
