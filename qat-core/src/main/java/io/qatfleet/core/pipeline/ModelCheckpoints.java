package io.qatfleet.core.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointException;
import io.qatfleet.core.checkpoint.CheckpointKind;
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
 * holds the integer model: per layer {@code weight_q} (int8 levels), {@code weight_scale}, {@code
 * bias_q} (int32 at the accumulator step) and {@code input_scale}; its quantization metadata
 * carries the job's spec and the resolved per-layer grids.
 */
public final class ModelCheckpoints {
  private static final String WEIGHT_LEVELS = "weight_q";
  private static final String WEIGHT_SCALE = "weight_scale";
  private static final String BIAS_LEVELS = "bias_q";
  private static final String INPUT_SCALE = "input_scale";

  private ModelCheckpoints() {}

  /** The per-layer grids of a quantized checkpoint, next to the spec they came from. */
  public record QuantizationMetadata(QuantizationSpec spec, List<LayerQuantSpec> layers) {}

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
    for (QuantizedLayer l : model.layers()) {
      LayerShape s = l.shape();
      QuantizedTensor w = l.weights();
      tensors.put(s.name(WEIGHT_LEVELS), TensorData.ofInt8(w.shape(), w.levels()));
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
        Json.MAPPER.valueToTree(new QuantizationMetadata(quantization, grids)),
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
      QuantizedTensor w =
          new QuantizedTensor(
              s.kernelShape(),
              checkpoint.tensor(s.name(WEIGHT_LEVELS)).int8(),
              scales,
              new int[scales.length],
              weights);
      layers.add(
          new QuantizedLayer(
              s,
              w,
              checkpoint.tensor(s.name(BIAS_LEVELS)).ints(),
              checkpoint.tensor(s.name(INPUT_SCALE)).floats()[0],
              grid.input()));
    }
    return new QuantizedModel(spec, layers);
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
