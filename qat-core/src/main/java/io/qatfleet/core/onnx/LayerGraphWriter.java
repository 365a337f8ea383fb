package io.qatfleet.core.onnx;

import static io.qatfleet.core.onnx.OnnxGraph.Attribute.integer;
import static io.qatfleet.core.onnx.OnnxGraph.Attribute.ints;

import io.qatfleet.core.model.LayerGraph;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Walks a {@link LayerGraph}'s nodes in order and writes them into an {@link OnnxGraph}, from the
 * {@code uint8 [N, C, H, W]} image to the float logits. The weight layers (and the batch norm after
 * them) are written by a {@link WeightLayers} (float or integer); everything between weight layers
 * is the same in both models: float ONNX operators on real values.
 *
 * <p>Values are NCHW feature maps or {@code [N, K]} vectors. A value is either float (real values)
 * or, while it is the image's bytes passed only through flattening and max pooling, uint8 pixels
 * ({@code k} meaning {@code k/255}, the {@linkplain LayerShape#readsImage() readsImage} case); it
 * becomes float ({@code Cast}, {@code Div} by 255, the same {@code k/255f} as training) where an
 * operator needs real values. Flattening a feature map transposes it to NHWC first, so that it
 * flattens in the engine's (h, w, c) order and dense kernels keep their rows.
 */
final class LayerGraphWriter {
  /** Writes a weight layer and the batch norm that follows it. */
  interface WeightLayers {
    /** The pre-activation output of {@code layer} (float, real values) on {@code x}. */
    String weightLayer(LayerShape layer, Value x);

    /** Batch norm of {@code layer}'s output {@code z} (float); the integer model folded it. */
    String batchNorm(LayerShape layer, String z);
  }

  /**
   * A value of the graph being written.
   *
   * @param pixels uint8 image bytes (through flattening and max pooling only), else float
   */
  record Value(String name, boolean pixels) {}

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
    Value img = new Value(image, true);
    if (graph.flatInput()) {
      img = flatten(img, spec.inputHeight() * spec.inputWidth(), spec.inputChannels(), "v/image");
    }
    List<Value> values = new ArrayList<>();
    for (LayerGraph.Node n : graph.nodes()) {
      Value x = n.input() < 0 ? img : values.get(n.input());
      String out = "v/" + n.name();
      Value y =
          switch (n.kind()) {
            case CONV2D, DENSE -> new Value(weights.weightLayer(n.layer(), x), false);
            case BATCH_NORM ->
                new Value(
                    weights.batchNorm(graph.nodes().get(n.input()).layer(), floatOf(x)), false);
            case RELU -> op("Relu", List.of(floatOf(x)), out);
            case RELU6 ->
                op(
                    "Clip",
                    List.of(
                        floatOf(x),
                        g.floats("relu6_min", new long[0], 0f),
                        g.floats("relu6_max", new long[0], 6f)),
                    out);
            case MAX_POOL -> {
              // Exact on uint8 pixels as on floats: the image may stay bytes through it.
              g.node("MaxPool", List.of(x.name()), List.of(out), window(n.size(), n.stride()));
              yield new Value(out, x.pixels());
            }
            case AVG_POOL -> {
              g.node(
                  "AveragePool", List.of(floatOf(x)), List.of(out), window(n.size(), n.stride()));
              yield new Value(out, false);
            }
            case GLOBAL_AVG_POOL -> {
              g.node("GlobalAveragePool", List.of(floatOf(x)), List.of(out + "/pooled"));
              g.node("Flatten", List.of(out + "/pooled"), List.of(out), integer("axis", 1));
              yield new Value(out, false);
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

  /** {@code x} as real values: itself when float, else its pixels cast and divided by 255. */
  String floatOf(Value x) {
    if (!x.pixels()) {
      return x.name();
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
    return new Value(out, false);
  }

  /** An NCHW map with {@code positions = H·W} flattened in (h, w, c) order, as the engine does. */
  private Value flatten(Value x, int positions, int channels, String out) {
    String in = x.name();
    if (positions > 1 && channels > 1) {
      g.node("Transpose", List.of(in), List.of(out + "/nhwc"), ints("perm", 0, 2, 3, 1));
      in = out + "/nhwc";
    }
    g.node("Flatten", List.of(in), List.of(out), integer("axis", 1));
    return new Value(out, x.pixels());
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
