package io.qatfleet.core.onnx;

import io.qatfleet.core.BuildInfo;
import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointKind;
import io.qatfleet.core.infer.QuantizedLayer;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.json.Json;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes models as ONNX files that ONNX Runtime (or any ONNX runtime with the standard operators)
 * executes: the integer model of a quantized checkpoint and the float model of a float checkpoint,
 * both with the same interface, for every layer graph ({@link io.qatfleet.core.model.LayerGraph}:
 * conv2d with strides, padding and depthwise groups, batch norm, relu, relu6, max and average
 * pooling, global average pooling, residual adds, flatten, dense).
 *
 * <p>Interface: input {@value #INPUT} is the raw image, {@code uint8 [N, C, H, W]} (the dataset's
 * bytes with the channels as planes, {@link io.qatfleet.core.data.Dataset#planarPixels}, pixel
 * {@code k} meaning {@code k/255}); output {@value #OUTPUT} is {@code float32 [N, classes]}, the
 * logits. Opset {@value #OPSET} of the default domain, IR version {@value #IR_VERSION}; no contrib
 * operators.
 *
 * <p>Integer model: integer kernels at the weight layers, float between them ({@link
 * IntegerLayers}, {@link LayerGraphWriter}). At each weight layer's input, {@code QuantizeLinear}
 * to uint8 at the layer's input step (zero point 0; {@code Clip} to {@code 2^b - 1} below 8 bits; a
 * layer reading the image takes its bytes as they are); {@code ConvInteger} or {@code
 * MatMulInteger} accumulates in int32; the int32 bias is added in int32; {@code Cast} and {@code
 * Mul} by the accumulator step {@code s_in·s_w[c]} give the layer's real output. ReLU, ReLU6
 * ({@code Clip} 0..6), pooling, residual {@code Add} and flattening then run in float32 on those
 * values, as in the fake-quant graph the model was trained in. The integer engine keeps the same
 * values as int32 with a per-channel step between weight layers; the float32 values here are those
 * integers times their steps, so the two differ only by rounding on that fine grid (the engine
 * rounds average pools and the rescaling before an add to it) and at (near-)ties of the next input
 * quantizer (ONNX rounds half to even in float32, the engine half up with a fixed-point
 * multiplier). The validator measures that agreement.
 *
 * <p>Where a weight layer's output reaches only the next weight layer's quantizer (through relu,
 * relu6 at the top of that grid, max pooling and flattening), the layer is instead one {@code
 * QLinearConv} whose uint8 output is already the next layer's input ({@link
 * LayerGraphWriter#fusedConsumers}): the same rounding of the same value, and the QOperator form
 * the export wrote for the conv-relu-pool chains. Not everywhere: a {@code QLinearConv} requantizes
 * its output to 8 bits, while before a residual add, an average pool or a shortcut read twice the
 * model has no quantizer; uint8 outputs there would add rounding points the model was not trained
 * with and could not hold the negative values before an add. Nor QDQ: its integer kernels depend on
 * a runtime's fusion pass. ONNX Runtime's {@code ConvInteger} takes uint8 weights only, so conv
 * levels are stored as {@code q + 128} with weight zero point 128 (exact: the kernel subtracts the
 * zero point before multiplying); {@code MatMulInteger} takes the int8 levels. Sub-8-bit weight
 * grids are stored in those 8-bit types; the packed form lives in the checkpoint.
 *
 * <p>Feature maps are NCHW here and NHWC in the engine: conv kernels go from HWIO to OIHW, and a
 * feature map is transposed to NHWC before it is flattened, so dense kernels keep the engine's (h,
 * w, c) rows.
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

  /** The integer model (see the class comment). */
  public static byte[] exportQuantized(QuantizedModel model, Map<String, String> extraMetadata) {
    return exportQuantized(model, extraMetadata, true);
  }

  /**
   * The integer model; {@code requantize} false writes the general form at every weight layer (for
   * comparing the two forms).
   */
  static byte[] exportQuantized(
      QuantizedModel model, Map<String, String> extraMetadata, boolean requantize) {
    ModelSpec spec = model.spec();
    OnnxGraph g = new OnnxGraph("qat_fleet_integer");
    input(g, spec);
    LayerGraphWriter writer = new LayerGraphWriter(g);
    String logits = writer.write(spec, INPUT, new IntegerLayers(g, writer, model, requantize));
    g.node("Identity", List.of(logits), List.of(OUTPUT));
    g.output(OUTPUT, OnnxGraph.FLOAT, -1, spec.numClasses());
    Map<String, String> metadata = baseMetadata("quantized", spec);
    StringBuilder bits = new StringBuilder();
    for (QuantizedLayer l : model.layers()) {
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
        "qat-fleet integer model (integer conv/matmul kernels, float between weight layers): uint8"
            + " image [N,C,H,W] (pixel k = k/255) -> float logits",
        metadata);
  }

  /** The float model (batch norm as BatchNormalization with the moving statistics). */
  public static byte[] exportFloat(
      ModelSpec spec, ModelState state, Map<String, String> extraMetadata) {
    OnnxGraph g = new OnnxGraph("qat_fleet_float");
    input(g, spec);
    LayerGraphWriter writer = new LayerGraphWriter(g);
    String logits = writer.write(spec, INPUT, new FloatLayers(g, writer, state));
    g.node("Identity", List.of(logits), List.of(OUTPUT));
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

  private static void input(OnnxGraph g, ModelSpec spec) {
    g.input(
        INPUT, OnnxGraph.UINT8, -1, spec.inputChannels(), spec.inputHeight(), spec.inputWidth());
  }

  private static Map<String, String> baseMetadata(String kind, ModelSpec spec) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("qat.kind", kind);
    m.put("qat.model_spec", Json.MAPPER.valueToTree(spec).toString());
    m.put("qat.input", "uint8 [N,C,H,W], raw pixel bytes, k means k/255");
    m.put("qat.output", "float32 [N,classes], logits");
    return m;
  }
}
