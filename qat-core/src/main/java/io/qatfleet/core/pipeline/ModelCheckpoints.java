package io.qatfleet.core.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointException;
import io.qatfleet.core.checkpoint.CheckpointKind;
import io.qatfleet.core.checkpoint.DType;
import io.qatfleet.core.checkpoint.PackedLevels;
import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.checkpoint.TensorData;
import io.qatfleet.core.infer.QuantizedLayer;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.json.Json;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.quant.LayerQuantSpec;
import io.qatfleet.core.quant.QuantSpec;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.quant.QuantizedTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts models to and from {@link Checkpoint}s. A float checkpoint holds the {@link ModelState}
 * (float shadow weights, and step sizes once quantization has started). A quantized checkpoint
 * holds the integer model: per weight layer of the graph {@code weight_q} (the weight levels),
 * {@code weight_scale}, {@code bias_q} (int32 at the accumulator step) and {@code input_scale} (the
 * pixel step 1/255 for a layer that reads the image, which must have it); its quantization metadata
 * carries the job's spec, the resolved per-layer grids and the packing of the levels.
 *
 * <p>Levels of a grid that fits 4 (or 2) bits are stored packed, two (or four) per byte ({@link
 * PackedLevels}): {@code weight_q} is then U8 of shape {@code [bytes]}, and {@code packing} in the
 * quantization metadata maps its name to the field width and the logical shape. Other grids, and
 * every grid of a format-version-1 checkpoint, are I8 one level per byte; both read back the same.
 */
public final class ModelCheckpoints {
  private static final String WEIGHT_LEVELS = "weight_q";
  private static final String WEIGHT_SCALE = "weight_scale";
  private static final String BIAS_LEVELS = "bias_q";
  private static final String INPUT_SCALE = "input_scale";

  private ModelCheckpoints() {}

  /** The per-layer grids of a quantized checkpoint, next to the spec they came from. */
  public record QuantizationMetadata(
      QuantizationSpec spec,
      List<LayerQuantSpec> layers,
      Map<String, PackedLevels.Layout> packing) {
    public QuantizationMetadata {
      packing = packing == null ? Map.of() : Map.copyOf(packing);
    }
  }

  public static Checkpoint ofFloat(
      ModelSpec model, QuantizationSpec quantization, ModelState state, Provenance provenance) {
    return new Checkpoint(
        CheckpointKind.FLOAT,
        state.tensors(),
        Json.MAPPER.valueToTree(model),
        quantization == null ? null : Json.MAPPER.valueToTree(quantization),
        provenance);
  }

  public static Checkpoint ofQuantized(
      QuantizedModel model, QuantizationSpec quantization, Provenance provenance) {
    Map<String, TensorData> tensors = new LinkedHashMap<>();
    List<LayerQuantSpec> grids = new ArrayList<>();
    Map<String, PackedLevels.Layout> packing = new LinkedHashMap<>();
    for (QuantizedLayer l : model.layers()) {
      LayerShape s = l.shape();
      QuantizedTensor w = l.weights();
      int field = PackedLevels.fieldBits(w.spec().qmin(), w.spec().qmax());
      String levels = s.name(WEIGHT_LEVELS);
      if (field < 8) {
        byte[] packed = PackedLevels.pack(w.levels(), field);
        tensors.put(levels, TensorData.ofUint8(new long[] {packed.length}, packed));
        List<Long> shape = java.util.Arrays.stream(w.shape()).boxed().toList();
        packing.put(levels, new PackedLevels.Layout(field, shape, PackedLevels.ORDER));
      } else {
        tensors.put(levels, TensorData.ofInt8(w.shape(), w.levels()));
      }
      tensors.put(
          s.name(WEIGHT_SCALE), TensorData.ofFloats(new long[] {w.scales().length}, w.scales()));
      tensors.put(s.name(BIAS_LEVELS), TensorData.ofInts(new long[] {l.bias().length}, l.bias()));
      tensors.put(
          s.name(INPUT_SCALE), TensorData.ofFloats(new long[0], new float[] {l.inputScale()}));
      grids.add(new LayerQuantSpec(w.spec(), l.inputSpec()));
    }
    return new Checkpoint(
        CheckpointKind.QUANTIZED,
        tensors,
        Json.MAPPER.valueToTree(model.spec()),
        Json.MAPPER.valueToTree(new QuantizationMetadata(quantization, grids, packing)),
        provenance);
  }

  public static ModelSpec modelSpec(Checkpoint checkpoint) {
    return read(checkpoint.modelSpec(), ModelSpec.class, "model_spec");
  }

  /** The float state of a FLOAT checkpoint. */
  public static ModelState state(Checkpoint checkpoint) {
    requireKind(checkpoint, CheckpointKind.FLOAT);
    return new ModelState(checkpoint.tensors());
  }

  /** The quantization spec of a float checkpoint taken during QAT, or null for a baseline. */
  public static QuantizationSpec quantizationSpec(Checkpoint checkpoint) {
    if (checkpoint.quantization() == null) {
      return null;
    }
    if (checkpoint.kind() == CheckpointKind.QUANTIZED) {
      return metadata(checkpoint).spec();
    }
    return read(checkpoint.quantization(), QuantizationSpec.class, "quantization");
  }

  public static QuantizationMetadata metadata(Checkpoint checkpoint) {
    requireKind(checkpoint, CheckpointKind.QUANTIZED);
    return read(checkpoint.quantization(), QuantizationMetadata.class, "quantization");
  }

  /** The integer model of a QUANTIZED checkpoint. */
  public static QuantizedModel quantizedModel(Checkpoint checkpoint) {
    ModelSpec spec = modelSpec(checkpoint);
    QuantizationMetadata meta = metadata(checkpoint);
    List<LayerShape> shapes = LayerShape.of(spec);
    if (meta.layers().size() != shapes.size()) {
      throw new CheckpointException(
          CheckpointException.Reason.MALFORMED_HEADER,
          "quantization metadata lists "
              + meta.layers().size()
              + " layers but the model spec has "
              + shapes.size());
    }
    List<QuantizedLayer> layers = new ArrayList<>();
    for (LayerShape s : shapes) {
      LayerQuantSpec grid = meta.layers().get(s.index());
      QuantSpec weights = grid.weights();
      float[] scales = checkpoint.tensor(s.name(WEIGHT_SCALE)).floats();
      byte[] levels = levels(checkpoint, meta, s);
      try {
        QuantizedTensor w =
            new QuantizedTensor(s.kernelShape(), levels, scales, new int[scales.length], weights);
        layers.add(
            new QuantizedLayer(
                s,
                w,
                checkpoint.tensor(s.name(BIAS_LEVELS)).ints(),
                checkpoint.tensor(s.name(INPUT_SCALE)).floats()[0],
                grid.input()));
      } catch (IllegalArgumentException e) {
        throw new CheckpointException(
            CheckpointException.Reason.MALFORMED_HEADER,
            "layer " + s.index() + " of the quantized checkpoint: " + e.getMessage(),
            e);
      }
    }
    return new QuantizedModel(spec, layers);
  }

  /** The weight levels of layer {@code s}, unpacked when the metadata says they are packed. */
  private static byte[] levels(Checkpoint checkpoint, QuantizationMetadata meta, LayerShape s) {
    String name = s.name(WEIGHT_LEVELS);
    TensorData t = checkpoint.tensor(name);
    PackedLevels.Layout layout = meta.packing().get(name);
    if (layout == null) {
      if (t.dtype() != DType.I8) {
        throw new CheckpointException(
            CheckpointException.Reason.MALFORMED_HEADER,
            "tensor '" + name + "' is " + t.dtype() + " but the metadata lists no packing for it");
      }
      return t.int8();
    }
    if (t.dtype() != DType.U8) {
      throw new CheckpointException(
          CheckpointException.Reason.MALFORMED_HEADER,
          "tensor '" + name + "' is listed as packed but is " + t.dtype() + ", not U8");
    }
    if (!java.util.Arrays.equals(layout.shapeArray(), s.kernelShape())) {
      throw new CheckpointException(
          CheckpointException.Reason.MALFORMED_HEADER,
          "packed tensor '"
              + name
              + "' has shape "
              + layout.shape()
              + " but the model spec needs "
              + java.util.Arrays.toString(s.kernelShape()));
    }
    return PackedLevels.unpack(t.uint8(), layout.bits(), layout.elementCount(), name);
  }

  private static void requireKind(Checkpoint checkpoint, CheckpointKind kind) {
    if (checkpoint.kind() != kind) {
      throw new IllegalArgumentException(
          "expected a " + kind + " checkpoint, got " + checkpoint.kind());
    }
  }

  private static <T> T read(JsonNode node, Class<T> type, String field) {
    try {
      return Json.MAPPER.treeToValue(node, type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new CheckpointException(
          CheckpointException.Reason.MALFORMED_HEADER,
          "checkpoint metadata '"
              + field
              + "' is not a valid "
              + type.getSimpleName()
              + ": "
              + e.getMessage(),
          e);
    }
  }
}
