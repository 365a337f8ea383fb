package io.qatfleet.core.onnx;

import static io.qatfleet.core.onnx.OnnxGraph.Attribute.integer;

import io.qatfleet.core.infer.QuantizedLayer;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.quant.QuantizedTensor;
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
 */
final class IntegerLayers implements LayerGraphWriter.WeightLayers {
  private static final int UINT8_MAX = 255;
  private static final int INT8_OFFSET = 128;

  private final OnnxGraph g;
  private final LayerGraphWriter writer;
  private final QuantizedModel model;

  IntegerLayers(OnnxGraph g, LayerGraphWriter writer, QuantizedModel model) {
    this.g = g;
    this.writer = writer;
    this.model = model;
  }

  @Override
  public String weightLayer(LayerShape shape, LayerGraphWriter.Value x) {
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
    if (!x.pixels()) {
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
    return v;
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
