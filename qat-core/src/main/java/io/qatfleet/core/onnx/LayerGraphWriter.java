package io.qatfleet.core.onnx;

import static io.qatfleet.core.onnx.OnnxGraph.Attribute.integer;
import static io.qatfleet.core.onnx.OnnxGraph.Attribute.ints;

import io.qatfleet.core.model.LayerGraph;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Walks a {@link LayerGraph}'s nodes in order and writes them into an {@link OnnxGraph}, from the
 * {@code uint8 [N, C, H, W]} image to the float logits. The weight layers (and the batch norm after
 * them) are written by a {@link WeightLayers} (float or integer); everything between weight layers
 * is the same in both models: float ONNX operators on real values, except along the chains where an
 * integer weight layer requantizes straight into the next one's input ({@link #fusedConsumers}).
 *
 * <p>Values are NCHW feature maps or {@code [N, K]} vectors ({@link Form}). A value is float (real
 * values); or, while it is the image's bytes passed only through flattening and max pooling, uint8
 * pixels ({@code k} meaning {@code k/255}, the {@linkplain LayerShape#readsImage() readsImage}
 * case); or uint8 levels of a requantized chain, which relu, relu6 and batch norm pass as they are
 * and max pooling and flattening keep. Pixels become float ({@code Cast}, {@code Div} by 255, the
 * same {@code k/255f} as training) where an operator needs real values. Flattening a feature map
 * transposes it to NHWC first, so that it flattens in the engine's (h, w, c) order and dense
 * kernels keep their rows.
 */
final class LayerGraphWriter {
  /** Writes a weight layer and the batch norm that follows it. */
  interface WeightLayers {
    /**
     * The output of {@code layer} on {@code x}: its pre-activation real values (float), or, where
     * {@code requantizeFor} is not null, those values already requantized to the uint8 levels of
     * {@code requantizeFor}'s input grid ({@link Form#LEVELS}; asked only of a {@link
     * #requantizes()} writer, see {@link LayerGraphWriter#fusedConsumers}).
     */
    Value weightLayer(LayerShape layer, Value x, LayerShape requantizeFor);

    /** Batch norm of {@code layer}'s output {@code z} (float); the integer model folded it. */
    String batchNorm(LayerShape layer, String z);

    /**
     * Whether weight layers may requantize their output straight to the next weight layer's input
     * grid (the integer model, whose batch norm is folded): then a batch norm between them is the
     * identity.
     */
    default boolean requantizes() {
      return false;
    }

    /**
     * Whether relu6's clip at 6 is, on {@code consumer}'s input grid, exactly its top level: its
     * quantizer maps 6 (and so everything above it) to {@code qmax}, so clipping at 6 before the
     * quantizer changes nothing after it.
     */
    default boolean relu6IsGridTop(LayerShape consumer) {
      return false;
    }
  }

  /** What a value of the graph holds. */
  enum Form {
    /** float32 real values. */
    REAL,
    /**
     * The image's uint8 bytes ({@code k} meaning {@code k/255}), through flattening and max pooling
     * only.
     */
    PIXELS,
    /**
     * uint8 levels on the input grid of the one weight layer that reads this value (a requantizing
     * weight layer's output, through relu, relu6, max pooling and flattening only).
     */
    LEVELS
  }

  /** A value of the graph being written. */
  record Value(String name, Form form) {
    boolean pixels() {
      return form == Form.PIXELS;
    }
  }

  private static final float PIXEL_DIVISOR = 255f;

  private final OnnxGraph g;
  private final Map<String, String> floats = new HashMap<>();

  LayerGraphWriter(OnnxGraph g) {
    this.g = g;
  }

  /**
   * Writes {@code spec}'s graph reading input {@code image} ({@code uint8 [N, C, H, W]}); returns
   * the name of the logits value.
   */
  String write(ModelSpec spec, String image, WeightLayers weights) {
    LayerGraph graph = LayerGraph.of(spec);
    Value img = new Value(image, Form.PIXELS);
    if (graph.flatInput()) {
      img = flatten(img, spec.inputHeight() * spec.inputWidth(), spec.inputChannels(), "v/image");
    }
    Map<Integer, LayerShape> fused =
        weights.requantizes() ? fusedConsumers(graph, weights) : Map.of();
    List<Value> values = new ArrayList<>();
    for (LayerGraph.Node n : graph.nodes()) {
      Value x = n.input() < 0 ? img : values.get(n.input());
      String out = "v/" + n.name();
      boolean levels = x.form() == Form.LEVELS;
      Value y =
          switch (n.kind()) {
            case CONV2D, DENSE -> weights.weightLayer(n.layer(), x, fused.get(n.position()));
            // On levels (planned by fusedConsumers): the requantization already clamped at 0
            // (and, for relu6, at the grid's top, which is 6's level); the batch norm is folded.
            case BATCH_NORM ->
                levels
                    ? x
                    : real(weights.batchNorm(graph.nodes().get(n.input()).layer(), floatOf(x)));
            case RELU -> levels ? x : op("Relu", List.of(floatOf(x)), out);
            case RELU6 ->
                levels
                    ? x
                    : op(
                        "Clip",
                        List.of(
                            floatOf(x),
                            g.floats("relu6_min", new long[0], 0f),
                            g.floats("relu6_max", new long[0], 6f)),
                        out);
            case MAX_POOL -> {
              // Exact on uint8 pixels and levels as on floats (a per-channel monotone map
              // commutes with max): the image may stay bytes through it, levels stay levels.
              g.node("MaxPool", List.of(x.name()), List.of(out), window(n.size(), n.stride()));
              yield new Value(out, x.form());
            }
            case AVG_POOL -> {
              g.node(
                  "AveragePool", List.of(floatOf(x)), List.of(out), window(n.size(), n.stride()));
              yield real(out);
            }
            case GLOBAL_AVG_POOL -> {
              g.node("GlobalAveragePool", List.of(floatOf(x)), List.of(out + "/pooled"));
              g.node("Flatten", List.of(out + "/pooled"), List.of(out), integer("axis", 1));
              yield real(out);
            }
            case ADD -> {
              Value other = n.other() < 0 ? img : values.get(n.other());
              yield op("Add", List.of(floatOf(x), floatOf(other)), out);
            }
            case FLATTEN ->
                n.inShape().flat()
                    ? x
                    : flatten(
                        x, n.inShape().height() * n.inShape().width(), n.inShape().channels(), out);
          };
      values.add(y);
    }
    return floatOf(values.get(values.size() - 1));
  }

  /**
   * The weight layers whose output may be requantized at once to the next weight layer's input:
   * position of the producing node to the consuming layer. A weight layer's output qualifies when
   * it, and every value on the way, is read by exactly one node (not the graph's output, not an
   * add), through batch norm (folded), relu, relu6 (only where its clip is the consumer grid's top
   * level, {@link WeightLayers#relu6IsGridTop}), max pooling and flattening only, into a weight
   * layer's input.
   *
   * <p>Exact: the general form computes {@code q = clamp(round(a·s_acc / s_next), 0, qmax)} from
   * the accumulator {@code a} after relu and max pooling; relu is the clamp at 0 (which the
   * unsigned quantizer applies with or without a relu), max pooling commutes with the per-channel
   * monotone {@code q}, flattening moves values only, so requantizing first gives the same levels.
   */
  static Map<Integer, LayerShape> fusedConsumers(LayerGraph graph, WeightLayers weights) {
    List<LayerGraph.Node> nodes = graph.nodes();
    int[] readers = new int[nodes.size()];
    int[] reader = new int[nodes.size()];
    Arrays.fill(reader, -1);
    for (LayerGraph.Node n : nodes) {
      for (int in : new int[] {n.input(), n.other()}) {
        if (in >= 0) {
          readers[in]++;
          reader[in] = n.position();
        }
      }
    }
    readers[nodes.size() - 1]++; // the graph's output, read by no node
    Map<Integer, LayerShape> fused = new HashMap<>();
    for (LayerGraph.Node n : nodes) {
      if (n.layer() == null) {
        continue;
      }
      boolean relu6 = false;
      int at = n.position();
      while (readers[at] == 1 && reader[at] >= 0) {
        LayerGraph.Node next = nodes.get(reader[at]);
        if (next.other() == at) {
          break;
        }
        switch (next.kind()) {
          case CONV2D, DENSE -> {
            if (!relu6 || weights.relu6IsGridTop(next.layer())) {
              fused.put(n.position(), next.layer());
            }
          }
          case BATCH_NORM, RELU, MAX_POOL, FLATTEN -> at = next.position();
          case RELU6 -> {
            relu6 = true;
            at = next.position();
          }
          default -> {}
        }
        if (at != next.position()) {
          break;
        }
      }
    }
    return fused;
  }

  /** {@code x} as real values: itself when float, else its pixels cast and divided by 255. */
  String floatOf(Value x) {
    if (x.form() == Form.REAL) {
      return x.name();
    }
    if (x.form() == Form.LEVELS) {
      throw new IllegalStateException(
          x.name() + ": levels of a fused requantization read as reals");
    }
    return floats.computeIfAbsent(
        x.name(),
        name -> {
          String divisor = g.floats("pixel_divisor", new long[0], PIXEL_DIVISOR);
          g.node("Cast", List.of(name), List.of(name + "/float"), integer("to", OnnxGraph.FLOAT));
          g.node("Div", List.of(name + "/float", divisor), List.of(name + "/real"));
          return name + "/real";
        });
  }

  private Value op(String opType, List<String> in, String out) {
    g.node(opType, in, List.of(out));
    return real(out);
  }

  static Value real(String name) {
    return new Value(name, Form.REAL);
  }

  /** An NCHW map with {@code positions = H·W} flattened in (h, w, c) order, as the engine does. */
  private Value flatten(Value x, int positions, int channels, String out) {
    String in = x.name();
    if (positions > 1 && channels > 1) {
      g.node("Transpose", List.of(in), List.of(out + "/nhwc"), ints("perm", 0, 2, 3, 1));
      in = out + "/nhwc";
    }
    g.node("Flatten", List.of(in), List.of(out), integer("axis", 1));
    return new Value(out, x.form());
  }

  private static OnnxGraph.Attribute[] window(int size, int stride) {
    return new OnnxGraph.Attribute[] {
      ints("kernel_shape", size, size), ints("strides", stride, stride)
    };
  }

  /** ONNX Conv attributes of a conv layer (symmetric zero padding, groups). */
  static OnnxGraph.Attribute[] convAttributes(LayerShape l) {
    int p = l.padding();
    return new OnnxGraph.Attribute[] {
      integer("group", l.groups()),
      ints("kernel_shape", l.kernel(), l.kernel()),
      ints("pads", p, p, p, p),
      ints("strides", l.stride(), l.stride())
    };
  }

  /** ONNX's OIHW order of an HWIO kernel ({@code I} = input channels per group). */
  static int[] oihwOrder(LayerShape l) {
    int k2 = l.kernel() * l.kernel();
    int cin = l.channelsPerGroup();
    int cout = l.outChannels();
    int[] order = new int[k2 * cin * cout];
    for (int k = 0; k < k2; k++) {
      for (int i = 0; i < cin; i++) {
        for (int o = 0; o < cout; o++) {
          order[(o * cin + i) * k2 + k] = (k * cin + i) * cout + o;
        }
      }
    }
    return order;
  }

  static long[] oihwDims(LayerShape l) {
    return new long[] {l.outChannels(), l.channelsPerGroup(), l.kernel(), l.kernel()};
  }
}
