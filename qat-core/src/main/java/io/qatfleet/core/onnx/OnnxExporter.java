package io.qatfleet.core.onnx;

import static io.qatfleet.core.onnx.OnnxGraph.Attribute.integer;
import static io.qatfleet.core.onnx.OnnxGraph.Attribute.ints;
import static io.qatfleet.core.onnx.OnnxGraph.Attribute.real;

import io.qatfleet.core.BuildInfo;
import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointKind;
import io.qatfleet.core.infer.QuantizedLayer;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.json.Json;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelGraph;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import io.qatfleet.core.quant.QuantizedTensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes models as ONNX files that ONNX Runtime (or any ONNX runtime with the standard operators)
 * executes: the integer model of a quantized checkpoint in the QOperator form, and the float model
 * of a float checkpoint, both with the same interface.
 *
 * <p>Interface: input {@value #INPUT} is the raw image, {@code uint8 [N, C, H, W]} (the dataset's
 * bytes with the channels as planes, {@link io.qatfleet.core.data.Dataset#planarPixels}, pixel
 * {@code k} meaning {@code k/255}); output {@value #OUTPUT} is {@code float32 [N, classes]}, the
 * logits. Opset {@value #OPSET} of the default domain, IR version {@value #IR_VERSION}; no contrib
 * operators.
 *
 * <p>Integer model (QOperator rather than QDQ, so that the file states the integer computation
 * itself and a runtime runs integer kernels whatever its graph optimizer does; QDQ leaves the
 * integer kernels to a fusion pass, and runs float convolutions where it does not fuse): each
 * hidden layer is one {@code QLinearConv} (uint8 activations, int8 weights with one scale per
 * output channel or per tensor, int32 bias at the accumulator step {@code s_x·s_w}, output at the
 * next layer's activation step, zero points 0); hidden dense layers are 1×1 {@code QLinearConv}s on
 * a {@code [N, K, 1, 1]} view, which unlike {@code QLinearMatMul} takes the int32 bias. Activation
 * grids below 8 bits are the uint8 output clipped to {@code [0, 2^b-1]} ({@code Clip}); ReLU is the
 * saturation at zero point 0. Pooling is {@code MaxPool} on uint8. The last layer is {@code
 * MatMulInteger} plus the int32 bias, cast to float and multiplied by the accumulator step per
 * class. Sub-8-bit weight grids are stored as int8 values (QLinearConv takes 8-bit weights only);
 * the packed form lives in the checkpoint. Requantization in ONNX Runtime multiplies by a float32
 * scale and rounds half to even, where the integer engine uses a 31-bit fixed-point multiplier and
 * rounds half up; the two differ only at exact ties, which the validator's agreement measures.
 *
 * <p>Conv kernels go from the checkpoint's HWIO to ONNX's OIHW; the first dense layer after a conv
 * gets its rows reordered from the engine's (h, w, c) flattening to ONNX's (c, h, w).
 */
public final class OnnxExporter {
  /** Operator set of the default ONNX domain the files import. */
  public static final long OPSET = 13;

  /** ONNX IR version written (7 is the IR of opset 13). */
  public static final long IR_VERSION = 7;

  public static final String INPUT = "image";
  public static final String OUTPUT = "logits";
  public static final String PRODUCER = "qat-fleet";

  /** Suffix of exported files. */
  public static final String FILE_SUFFIX = ".onnx";

  private static final int UINT8_MAX = 255;

  private OnnxExporter() {}

  /**
   * Exports a checkpoint: the integer model of a QUANTIZED one, the float model of a FLOAT one (its
   * step sizes, if any, are ignored). The metadata names the checkpoint's kind and model spec.
   */
  public static byte[] export(Checkpoint checkpoint, Map<String, String> extraMetadata) {
    if (checkpoint.kind() == CheckpointKind.QUANTIZED) {
      return exportQuantized(ModelCheckpoints.quantizedModel(checkpoint), extraMetadata);
    }
    if (checkpoint.kind() == CheckpointKind.FLOAT) {
      return exportFloat(
          ModelCheckpoints.modelSpec(checkpoint),
          ModelCheckpoints.state(checkpoint),
          extraMetadata);
    }
    throw new OnnxExportException(
        "checkpoint kind " + checkpoint.kind() + " cannot be exported (FLOAT or QUANTIZED only)");
  }

  /** The integer model as a QOperator graph (see the class comment). */
  public static byte[] exportQuantized(QuantizedModel model, Map<String, String> extraMetadata) {
    List<QuantizedLayer> layers = model.layers();
    List<LayerShape> shapes = layers.stream().map(QuantizedLayer::shape).toList();
    ModelSpec spec = model.spec();
    OnnxGraph g = new OnnxGraph("qat_fleet_integer");
    g.input(
        INPUT, OnnxGraph.UINT8, -1, spec.inputChannels(), spec.inputHeight(), spec.inputWidth());
    String zeroU8 = g.uint8("zero_u8", new long[0], new byte[1]);
    String x = denseInput(g, spec, shapes, INPUT);
    for (QuantizedLayer l : layers) {
      LayerShape s = l.shape();
      QuantizedTensor w = l.weights();
      requireSymmetric(s, w);
      String p = "layer" + s.index() + ".";
      int cout = s.outChannels();
      boolean perChannel = w.scales().length > 1;
      long[] scaleDims = perChannel ? new long[] {cout} : new long[0];
      if (s.hidden()) {
        QuantizedLayer next = layers.get(s.index() + 1);
        String wName;
        if (s.conv()) {
          wName = g.int8(p + "weight_q", new long[] {cout, s.inChannels(), 3, 3}, oihw(s, w));
        } else {
          if (s.index() == 0 || shapes.get(s.index() - 1).conv()) {
            String shape = g.longs(p + "view", new long[] {4}, -1, s.inChannels(), 1, 1);
            g.node("Reshape", List.of(x, shape), List.of(p + "x_view"));
            x = p + "x_view";
          }
          wName =
              g.int8(
                  p + "weight_q",
                  new long[] {cout, s.inChannels(), 1, 1},
                  transpose(rows(shapes, s, w.levels()), s.inChannels(), cout));
        }
        String xScale = g.floats(p + "x_scale", new long[0], l.inputScale());
        String wScale = g.floats(p + "w_scale", scaleDims, w.scales());
        String wZero = g.int8(p + "w_zero_point", scaleDims, new byte[w.scales().length]);
        String yScale = g.floats(p + "y_scale", new long[0], next.inputScale());
        String bias = g.ints(p + "bias_q", new long[] {cout}, l.bias());
        List<String> in = List.of(x, xScale, zeroU8, wName, wScale, wZero, yScale, zeroU8, bias);
        if (s.conv()) {
          g.node(
              "QLinearConv",
              in,
              List.of(p + "y"),
              ints("kernel_shape", 3, 3),
              ints("pads", 1, 1, 1, 1),
              ints("strides", 1, 1));
        } else {
          g.node("QLinearConv", in, List.of(p + "y"), ints("kernel_shape", 1, 1));
        }
        x = p + "y";
        int qmax = next.inputSpec().qmax();
        if (qmax < UINT8_MAX) {
          String max = g.uint8(p + "y_qmax", new long[0], new byte[] {(byte) qmax});
          g.node("Clip", List.of(x, zeroU8, max), List.of(p + "y_clipped"));
          x = p + "y_clipped";
        }
        if (s.conv()) {
          g.node(
              "MaxPool",
              List.of(x),
              List.of(p + "pooled"),
              ints("kernel_shape", 2, 2),
              ints("strides", 2, 2));
          x = p + "pooled";
        }
      } else {
        g.node("Flatten", List.of(x), List.of(p + "x_flat"), integer("axis", 1));
        String wName =
            g.int8(p + "weight_q", new long[] {s.inChannels(), cout}, rows(shapes, s, w.levels()));
        String wZero = g.int8(p + "w_zero_point", new long[0], new byte[1]);
        g.node("MatMulInteger", List.of(p + "x_flat", wName, zeroU8, wZero), List.of(p + "acc"));
        String bias = g.ints(p + "bias_q", new long[] {cout}, l.bias());
        g.node("Add", List.of(p + "acc", bias), List.of(p + "acc_biased"));
        g.node("Cast", List.of(p + "acc_biased"), List.of(p + "acc_float"), integer("to", 1));
        float[] steps = new float[cout];
        for (int c = 0; c < cout; c++) {
          steps[c] = (float) l.accumulatorScale(c);
        }
        String step = g.floats(p + "acc_step", new long[] {cout}, steps);
        g.node("Mul", List.of(p + "acc_float", step), List.of(OUTPUT));
      }
    }
    g.output(OUTPUT, OnnxGraph.FLOAT, -1, spec.numClasses());
    Map<String, String> metadata = baseMetadata("quantized", spec);
    StringBuilder bits = new StringBuilder();
    for (QuantizedLayer l : layers) {
      bits.append(bits.isEmpty() ? "" : ",")
          .append("W")
          .append(l.weights().spec().bits())
          .append("A")
          .append(l.inputSpec().bits())
          .append(l.weights().scales().length > 1 ? "/per_channel" : "/per_tensor");
    }
    metadata.put("qat.layers", bits.toString());
    metadata.putAll(extraMetadata);
    return g.toModel(
        IR_VERSION,
        OPSET,
        BuildInfo.codeVersion(),
        "qat-fleet integer model (QOperator): uint8 image [N,C,H,W] (pixel k = k/255) -> float"
            + " logits",
        metadata);
  }

  /** The float model (batch norm as BatchNormalization with the moving statistics). */
  public static byte[] exportFloat(
      ModelSpec spec, ModelState state, Map<String, String> extraMetadata) {
    List<LayerShape> shapes = LayerShape.of(spec);
    OnnxGraph g = new OnnxGraph("qat_fleet_float");
    g.input(
        INPUT, OnnxGraph.UINT8, -1, spec.inputChannels(), spec.inputHeight(), spec.inputWidth());
    g.node("Cast", List.of(INPUT), List.of("image_float"), integer("to", 1));
    String scale = g.floats("pixel_divisor", new long[0], 255f);
    g.node("Div", List.of("image_float", scale), List.of("pixels"));
    String x = denseInput(g, spec, shapes, "pixels");
    for (LayerShape s : shapes) {
      String p = "layer" + s.index() + ".";
      float[] kernel = floats(state, s.name(ModelGraph.KERNEL), s.kernelSize());
      String bias =
          g.floats(
              p + "bias",
              new long[] {s.outChannels()},
              floats(state, s.name(ModelGraph.BIAS), s.outChannels()));
      int cout = s.outChannels();
      if (s.conv()) {
        String w =
            g.floats(p + "kernel", new long[] {cout, s.inChannels(), 3, 3}, oihw(s, kernel, cout));
        g.node(
            "Conv",
            List.of(x, w, bias),
            List.of(p + "z"),
            ints("kernel_shape", 3, 3),
            ints("pads", 1, 1, 1, 1),
            ints("strides", 1, 1));
      } else {
        if (s.index() == 0 || shapes.get(s.index() - 1).conv()) {
          g.node("Flatten", List.of(x), List.of(p + "x_flat"), integer("axis", 1));
          x = p + "x_flat";
        }
        String w =
            g.floats(p + "kernel", new long[] {s.inChannels(), cout}, rows(shapes, s, kernel));
        g.node("Gemm", List.of(x, w, bias), List.of(p + "z"));
      }
      x = p + "z";
      if (s.batchNorm()) {
        long[] dims = {cout};
        List<String> in =
            List.of(
                x,
                g.floats(p + "bn_gamma", dims, floats(state, s.name(ModelGraph.BN_GAMMA), cout)),
                g.floats(p + "bn_beta", dims, floats(state, s.name(ModelGraph.BN_BETA), cout)),
                g.floats(p + "bn_mean", dims, floats(state, s.name(ModelGraph.BN_MEAN), cout)),
                g.floats(p + "bn_var", dims, floats(state, s.name(ModelGraph.BN_VAR), cout)));
        g.node("BatchNormalization", in, List.of(p + "bn"), real("epsilon", ModelGraph.BN_EPSILON));
        x = p + "bn";
      }
      if (s.hidden()) {
        g.node("Relu", List.of(x), List.of(p + "relu"));
        x = p + "relu";
        if (s.conv()) {
          g.node(
              "MaxPool",
              List.of(x),
              List.of(p + "pooled"),
              ints("kernel_shape", 2, 2),
              ints("strides", 2, 2));
          x = p + "pooled";
        }
      } else {
        g.node("Identity", List.of(x), List.of(OUTPUT));
      }
    }
    g.output(OUTPUT, OnnxGraph.FLOAT, -1, spec.numClasses());
    Map<String, String> metadata = baseMetadata("float", spec);
    metadata.putAll(extraMetadata);
    return g.toModel(
        IR_VERSION,
        OPSET,
        BuildInfo.codeVersion(),
        "qat-fleet float model: uint8 image [N,C,H,W] (pixel k = k/255) -> float logits",
        metadata);
  }

  private static Map<String, String> baseMetadata(String kind, ModelSpec spec) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("qat.kind", kind);
    m.put("qat.model_spec", Json.MAPPER.valueToTree(spec).toString());
    m.put("qat.input", "uint8 [N,C,H,W], raw pixel bytes, k means k/255");
    m.put("qat.output", "float32 [N,classes], logits");
    return m;
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

  private static float[] floats(ModelState state, String name, int count) {
    if (!state.has(name)) {
      throw new OnnxExportException("float model has no tensor '" + name + "'");
    }
    float[] v = state.floats(name);
    if (v.length != count) {
      throw new OnnxExportException(
          "tensor '" + name + "' has " + v.length + " values, the model spec needs " + count);
    }
    return v;
  }

  /** HWIO levels to OIHW. */
  private static byte[] oihw(LayerShape s, QuantizedTensor w) {
    byte[] hwio = w.levels();
    byte[] out = new byte[hwio.length];
    int cin = s.inChannels();
    int cout = s.outChannels();
    for (int k = 0; k < 9; k++) {
      for (int i = 0; i < cin; i++) {
        for (int o = 0; o < cout; o++) {
          out[(o * cin + i) * 9 + k] = hwio[(k * cin + i) * cout + o];
        }
      }
    }
    return out;
  }

  private static float[] oihw(LayerShape s, float[] hwio, int cout) {
    float[] out = new float[hwio.length];
    int cin = s.inChannels();
    for (int k = 0; k < 9; k++) {
      for (int i = 0; i < cin; i++) {
        for (int o = 0; o < cout; o++) {
          out[(o * cin + i) * 9 + k] = hwio[(k * cin + i) * cout + o];
        }
      }
    }
    return out;
  }

  /**
   * For each ONNX input row {@code r} of a dense layer, the engine's row: identity unless the layer
   * flattens a conv feature map, whose (c, h, w) order in ONNX is (h, w, c) in the engine.
   */
  private static int[] rowOrder(List<LayerShape> shapes, LayerShape s) {
    int[] order = new int[s.inChannels()];
    if (s.conv() || s.index() == 0 || !shapes.get(s.index() - 1).conv()) {
      for (int r = 0; r < order.length; r++) {
        order[r] = r;
      }
      return order;
    }
    LayerShape conv = shapes.get(s.index() - 1);
    int channels = conv.outChannels();
    int h = conv.height() / 2;
    int w = conv.width() / 2;
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < h; y++) {
        for (int xx = 0; xx < w; xx++) {
          order[(c * h + y) * w + xx] = (y * w + xx) * channels + c;
        }
      }
    }
    return order;
  }

  /**
   * The input a first dense layer flattens: for several channels, the image transposed to NHWC so
   * that it flattens in the (h, w, c) order of the engine's dense weights; otherwise as it is.
   */
  private static String denseInput(
      OnnxGraph g, ModelSpec spec, List<LayerShape> shapes, String input) {
    if (shapes.get(0).conv() || spec.inputChannels() == 1) {
      return input;
    }
    g.node("Transpose", List.of(input), List.of(input + "_nhwc"), ints("perm", 0, 2, 3, 1));
    return input + "_nhwc";
  }

  private static byte[] rows(List<LayerShape> shapes, LayerShape s, byte[] kernel) {
    int[] order = rowOrder(shapes, s);
    int cout = s.outChannels();
    byte[] out = new byte[kernel.length];
    for (int r = 0; r < order.length; r++) {
      System.arraycopy(kernel, order[r] * cout, out, r * cout, cout);
    }
    return out;
  }

  private static float[] rows(List<LayerShape> shapes, LayerShape s, float[] kernel) {
    int[] order = rowOrder(shapes, s);
    int cout = s.outChannels();
    float[] out = new float[kernel.length];
    for (int r = 0; r < order.length; r++) {
      System.arraycopy(kernel, order[r] * cout, out, r * cout, cout);
    }
    return out;
  }

  /** {@code [rows, cols]} to {@code [cols, rows]}. */
  private static byte[] transpose(byte[] m, int rowCount, int cols) {
    byte[] out = new byte[m.length];
    for (int r = 0; r < rowCount; r++) {
      for (int c = 0; c < cols; c++) {
        out[c * rowCount + r] = m[r * cols + c];
      }
    }
    return out;
  }
}
