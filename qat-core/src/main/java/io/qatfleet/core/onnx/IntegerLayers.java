package io.qatfleet.core.onnx;

import static io.qatfleet.core.onnx.OnnxGraph.Attribute.integer;
import static io.qatfleet.core.onnx.OnnxGraph.Attribute.ints;

import io.qatfleet.core.infer.QuantizedLayer;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.quant.QuantizedTensor;
import java.util.Arrays;
import java.util.List;

/**
 * The weight layers of the integer model. The input is quantized to the layer's uint8 grid ({@code
 * QuantizeLinear} at its input step, zero point 0, then {@code Clip} to {@code 2^b - 1} for grids
 * below 8 bits), unless it is the image's bytes; an integer kernel accumulates in int32 ({@code
 * ConvInteger} with the int8 levels stored as uint8 {@code q + 128} and weight zero point 128,
 * which is exact and the only weight type ONNX Runtime's ConvInteger takes; {@code MatMulInteger}
 * with the int8 levels); the int32 bias is added in int32; the accumulator is cast to float and
 * multiplied by its step {@code s_in·s_w[c]} per output channel. Batch norm was folded into the
 * levels and bias by the projection.
 *
 * <p>Where the writer plans it ({@link LayerGraphWriter#fusedConsumers}: the output reaches one
 * weight layer's quantizer through relu, relu6 at the grid's top, max pooling and flattening only),
 * the layer is instead one {@code QLinearConv} whose uint8 output is already the next layer's input
 * levels: the same {@code round(a·s_acc / s_next)} clamped to the next grid, with the float ops and
 * the quantizer in between gone (the QOperator form of the conv-relu-pool chains).
 */
final class IntegerLayers implements LayerGraphWriter.WeightLayers {
  private static final int UINT8_MAX = 255;
  private static final int INT8_OFFSET = 128;
  private static final double RELU6_MAX = 6;
  private static final double RELU6_MARGIN = 1e-6;

  private final OnnxGraph g;
  private final LayerGraphWriter writer;
  private final QuantizedModel model;
  private final boolean requantize;

  /**
   * @param requantize whether weight layers may requantize straight to the next layer's input
   *     ({@link #requantizes()})
   */
  IntegerLayers(OnnxGraph g, LayerGraphWriter writer, QuantizedModel model, boolean requantize) {
    this.g = g;
    this.writer = writer;
    this.model = model;
    this.requantize = requantize;
  }

  @Override
  public LayerGraphWriter.Value weightLayer(
      LayerShape shape, LayerGraphWriter.Value x, LayerShape requantizeFor) {
    QuantizedLayer l = model.layers().get(shape.index());
    requireSymmetric(shape, l.weights());
    if (l.weights().levels().length != shape.kernelSize()) {
      throw new OnnxExportException(
          "layer "
              + shape.index()
              + ": "
              + l.weights().levels().length
              + " weight levels, the model spec needs "
              + shape.kernelSize());
    }
    String p = "layer" + shape.index() + ".";
    String v = "v/layer" + shape.index();
    String zeroU8 = g.uint8("zero_u8", new long[0], new byte[1]);
    if (x.pixels() != shape.readsImage()) {
      throw new IllegalStateException(
          "layer " + shape.index() + ": the graph and its readsImage flag disagree");
    }
    String q = x.name();
    if (x.form() == LayerGraphWriter.Form.REAL) {
      String scale = g.floats(p + "x_scale", new long[0], l.inputScale());
      g.node("QuantizeLinear", List.of(writer.floatOf(x), scale, zeroU8), List.of(v + "/x_q"));
      q = v + "/x_q";
      int qmax = l.inputSpec().qmax();
      if (qmax < UINT8_MAX) {
        String max = g.uint8(p + "x_qmax", new long[0], new byte[] {(byte) qmax});
        g.node("Clip", List.of(q, zeroU8, max), List.of(v + "/x_clipped"));
        q = v + "/x_clipped";
      }
    }
    if (requantizeFor != null) {
      return requantized(shape, l, q, model.layers().get(requantizeFor.index()));
    }
    int cout = shape.outChannels();
    byte[] levels = l.weights().levels();
    long[] channelDims;
    if (shape.conv()) {
      int[] order = LayerGraphWriter.oihwOrder(shape);
      byte[] shifted = new byte[levels.length];
      for (int i = 0; i < shifted.length; i++) {
        shifted[i] = (byte) (levels[order[i]] + INT8_OFFSET);
      }
      String w = g.uint8(p + "weight_q_plus_128", LayerGraphWriter.oihwDims(shape), shifted);
      String wZero = g.uint8("weight_zero_128", new long[0], new byte[] {(byte) INT8_OFFSET});
      g.node(
          "ConvInteger",
          List.of(q, w, zeroU8, wZero),
          List.of(v + "/acc"),
          LayerGraphWriter.convAttributes(shape));
      channelDims = new long[] {cout, 1, 1};
    } else {
      String w = g.int8(p + "weight_q", new long[] {shape.inChannels(), cout}, levels);
      String wZero = g.int8("zero_i8", new long[0], new byte[1]);
      g.node("MatMulInteger", List.of(q, w, zeroU8, wZero), List.of(v + "/acc"));
      channelDims = new long[] {cout};
    }
    String bias = g.ints(p + "bias_q", channelDims, l.bias());
    g.node("Add", List.of(v + "/acc", bias), List.of(v + "/acc_biased"));
    g.node(
        "Cast",
        List.of(v + "/acc_biased"),
        List.of(v + "/acc_float"),
        integer("to", OnnxGraph.FLOAT));
    float[] steps = new float[cout];
    for (int c = 0; c < cout; c++) {
      steps[c] = (float) l.accumulatorScale(c);
    }
    String step = g.floats(p + "acc_step", channelDims, steps);
    g.node("Mul", List.of(v + "/acc_float", step), List.of(v));
    return LayerGraphWriter.real(v);
  }

  /**
   * {@code shape}'s output on uint8 input {@code q}, requantized to {@code next}'s input levels by
   * one {@code QLinearConv} (a dense layer as a 1×1 one on an {@code [N, K, 1, 1]} view, which
   * unlike {@code QLinearMatMul} takes the int32 bias): int8 weights with their per-channel or
   * per-tensor steps, the int32 bias, output step {@code next}'s input step, zero points 0 (so the
   * output saturates at 0, which is relu), then {@code Clip} to {@code next}'s grid below 8 bits.
   * ONNX Runtime computes it as the general form's {@code QuantizeLinear} does: the int32
   * accumulator times a float32 scale, rounded half to even and saturated.
   */
  private LayerGraphWriter.Value requantized(
      LayerShape shape, QuantizedLayer l, String q, QuantizedLayer next) {
    String p = "layer" + shape.index() + ".";
    String v = "v/layer" + shape.index();
    String zeroU8 = g.uint8("zero_u8", new long[0], new byte[1]);
    QuantizedTensor w = l.weights();
    int cout = shape.outChannels();
    long[] scaleDims = w.scales().length > 1 ? new long[] {cout} : new long[0];
    String in = q;
    String weights;
    OnnxGraph.Attribute[] attributes;
    byte[] ordered;
    long[] weightDims;
    if (shape.conv()) {
      int[] order = LayerGraphWriter.oihwOrder(shape);
      ordered = new byte[order.length];
      for (int i = 0; i < ordered.length; i++) {
        ordered[i] = w.levels()[order[i]];
      }
      weightDims = LayerGraphWriter.oihwDims(shape);
      attributes = LayerGraphWriter.convAttributes(shape);
    } else {
      int k = shape.inChannels();
      byte[] rows = w.levels();
      ordered = new byte[rows.length];
      for (int r = 0; r < k; r++) {
        for (int c = 0; c < cout; c++) {
          ordered[c * k + r] = rows[r * cout + c];
        }
      }
      weightDims = new long[] {cout, k, 1, 1};
      String axes = g.longs("view_axes_hw", new long[] {2}, 2, 3);
      g.node("Unsqueeze", List.of(q, axes), List.of(v + "/x_view"));
      in = v + "/x_view";
      attributes = new OnnxGraph.Attribute[] {ints("kernel_shape", 1, 1)};
    }
    int inputMax = shape.readsImage() ? UINT8_MAX : l.inputSpec().qmax();
    String weightZero;
    if (pairSumsFitInt16(ordered, inputMax)) {
      weights = g.int8(p + "weight_q", weightDims, ordered);
      weightZero = g.int8(p + "w_zero_point", scaleDims, new byte[w.scales().length]);
    } else {
      byte[] shifted = new byte[ordered.length];
      for (int i = 0; i < shifted.length; i++) {
        shifted[i] = (byte) (ordered[i] + INT8_OFFSET);
      }
      byte[] zeros = new byte[w.scales().length];
      Arrays.fill(zeros, (byte) INT8_OFFSET);
      weights = g.uint8(p + "weight_q_plus_128", weightDims, shifted);
      weightZero = g.uint8(p + "w_zero_point_128", scaleDims, zeros);
    }
    List<String> inputs =
        List.of(
            in,
            g.floats(p + "x_scale", new long[0], l.inputScale()),
            zeroU8,
            weights,
            g.floats(p + "w_scale", scaleDims, w.scales()),
            weightZero,
            g.floats(p + "y_scale", new long[0], next.inputScale()),
            zeroU8,
            g.ints(p + "bias_q", new long[] {cout}, l.bias()));
    String y = v + "/y_q";
    g.node("QLinearConv", inputs, List.of(y), attributes);
    int qmax = next.inputSpec().qmax();
    if (qmax < UINT8_MAX) {
      String max = g.uint8(p + "y_qmax", new long[0], new byte[] {(byte) qmax});
      g.node("Clip", List.of(y, zeroU8, max), List.of(v + "/y_clipped"));
      y = v + "/y_clipped";
    }
    if (!shape.conv()) {
      g.node("Flatten", List.of(y), List.of(v + "/y_flat"), integer("axis", 1));
      y = v + "/y_flat";
    }
    return new LayerGraphWriter.Value(y, LayerGraphWriter.Form.LEVELS);
  }

  /**
   * Whether the int8 weights are safe from ONNX Runtime's u8×s8 kernels on x86 CPUs without VNNI,
   * which add two adjacent u8·s8 products in int16 with saturation ({@code vpmaddubsw}): exact when
   * {@code inputMax · 2 · max|q| ≤ 32767}, e.g. for weight grids up to 7 bits. Otherwise the levels
   * are stored as uint8 {@code q + 128} with zero point 128 (exact, u8×u8 kernels widen to 16 bits
   * before multiplying), as for ConvInteger.
   */
  private static boolean pairSumsFitInt16(byte[] levels, int inputMax) {
    int largest = 0;
    for (byte q : levels) {
      largest = Math.max(largest, Math.abs(q));
    }
    return (long) inputMax * 2 * largest <= Short.MAX_VALUE;
  }

  @Override
  public boolean requantizes() {
    return requantize;
  }

  /**
   * True where {@code QuantizeLinear} maps 6 to at least {@code qmax + 1} before the clip, i.e.
   * {@code 6 / s ≥ qmax + 1/2} with a relative margin of 1e-6 over float32's rounding of the
   * division (or of a multiplication by {@code 1/s}): then relu6 and the quantizer's clamp give the
   * same level {@code qmax} to every value from 6 up.
   */
  @Override
  public boolean relu6IsGridTop(LayerShape consumer) {
    QuantizedLayer c = model.layers().get(consumer.index());
    return RELU6_MAX >= (c.inputSpec().qmax() + 0.5) * c.inputScale() * (1 + RELU6_MARGIN);
  }

  @Override
  public String batchNorm(LayerShape layer, String z) {
    return z;
  }

  private static void requireSymmetric(LayerShape s, QuantizedTensor w) {
    for (int z : w.zeroPoints()) {
      if (z != 0) {
        throw new OnnxExportException(
            "layer "
                + s.index()
                + ": weight zero point "
                + z
                + " is not supported (the export writes symmetric int8 weights only)");
      }
    }
  }
}
