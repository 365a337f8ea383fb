package io.qatfleet.core.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * A model snapshot handed from one stage of the fleet to the next: named tensors in a fixed order,
 * the model spec needed to rebuild the graph, the quantization parameters (required for {@link
 * CheckpointKind#QUANTIZED}, optional for float checkpoints whose quantizer parameters were learned
 * jointly) and the provenance. {@link CheckpointCodec} turns it into safetensors bytes.
 *
 * <p>The JSON parts are stored in canonical form (sorted object keys), and tensor order is part of
 * equality, because both determine the encoded bytes and hence the checkpoint's SHA-256.
 *
 * @param tensors tensors by name, in the order they are laid out in the file
 * @param quantization quantization parameters as JSON, or {@code null} for a float checkpoint
 *     without them
 */
public record Checkpoint(
    CheckpointKind kind,
    Map<String, TensorData> tensors,
    JsonNode modelSpec,
    JsonNode quantization,
    Provenance provenance) {

  /** Header key that safetensors reserves for metadata, so no tensor may use it. */
  static final String METADATA_KEY = "__metadata__";

  public Checkpoint {
    Objects.requireNonNull(kind, "kind must not be null");
    Objects.requireNonNull(tensors, "tensors must not be null");
    if (tensors.isEmpty()) {
      throw new IllegalArgumentException("tensors must not be empty");
    }
    LinkedHashMap<String, TensorData> copy = new LinkedHashMap<>();
    for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
      String name = e.getKey();
      if (name == null || name.isBlank() || name.equals(METADATA_KEY)) {
        throw new IllegalArgumentException(
            "tensor name must be non-blank and not " + METADATA_KEY + " but was " + quote(name));
      }
      if (e.getValue() == null) {
        throw new IllegalArgumentException("tensor '" + name + "' must not be null");
      }
      copy.put(name, e.getValue());
    }
    tensors = Collections.unmodifiableMap(copy);
    if (modelSpec == null || modelSpec.isNull() || modelSpec.isMissingNode()) {
      throw new IllegalArgumentException("modelSpec must be a JSON value but was " + modelSpec);
    }
    modelSpec = CanonicalJson.canonical("modelSpec", modelSpec);
    if (quantization != null && (quantization.isNull() || quantization.isMissingNode())) {
      quantization = null;
    }
    if (quantization == null && kind == CheckpointKind.QUANTIZED) {
      throw new IllegalArgumentException(
          "quantization must not be null for a " + kind + " checkpoint");
    }
    if (quantization != null) {
      quantization = CanonicalJson.canonical("quantization", quantization);
    }
    Objects.requireNonNull(provenance, "provenance must not be null");
  }

  /** The model spec (a copy; the checkpoint itself is immutable). */
  @Override
  public JsonNode modelSpec() {
    return modelSpec.deepCopy();
  }

  /** The quantization parameters (a copy), or {@code null} if the checkpoint has none. */
  @Override
  public JsonNode quantization() {
    return quantization == null ? null : quantization.deepCopy();
  }

  /**
   * The tensor called {@code name}.
   *
   * @throws NoSuchElementException naming the missing tensor and listing the present ones
   */
  public TensorData tensor(String name) {
    TensorData t = tensors.get(name);
    if (t == null) {
      throw new NoSuchElementException(
          "checkpoint has no tensor " + quote(name) + "; it has " + tensors.keySet());
    }
    return t;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Checkpoint c
        && kind == c.kind
        && new ArrayList<>(tensors.entrySet()).equals(new ArrayList<>(c.tensors.entrySet()))
        && modelSpec.equals(c.modelSpec)
        && Objects.equals(quantization, c.quantization)
        && provenance.equals(c.provenance);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, tensors, modelSpec, quantization, provenance);
  }

  private static String quote(String s) {
    return s == null ? "null" : "'" + s + "'";
  }
}
