package io.qatfleet.trainer.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.json.Json;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.event.QatEvent;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This instance's copy of the model registry: the latest entry per model name from the compacted
 * {@code qat.models}, read from its start. A tombstone (null value) removes a model.
 *
 * <p>Values are the validator's {@code ModelApproved} JSON. They are read leniently here, not with
 * the strict event codec, because the trigger needs two fields {@code ModelApproved} does not carry
 * yet: {@code spec} (the approved job's spec) and {@code calibratedCheckpoint} (the calibrated
 * float checkpoint a retrain starts from). When present they are used; when absent the trigger
 * falls back to what this trainer recorded about the approved round.
 */
@ApplicationScoped
public class ModelRegistry {

  /**
   * One registry entry.
   *
   * @param checkpoint the approved integer checkpoint
   * @param spec the approved job's spec, or null if the entry does not carry it
   * @param calibratedCheckpoint the calibrated float checkpoint, or null if the entry lacks it
   */
  public record Entry(
      String modelName,
      int version,
      String jobId,
      int round,
      CheckpointRef checkpoint,
      JobSpec spec,
      CheckpointRef calibratedCheckpoint) {}

  private final Map<String, Entry> byName = new ConcurrentHashMap<>();

  /** The latest entry of {@code modelName}, if the registry has one. */
  public Optional<Entry> find(String modelName) {
    return Optional.ofNullable(byName.get(modelName));
  }

  /**
   * Applies one record of {@code qat.models}.
   *
   * @throws IllegalArgumentException if the value is not a registry entry
   */
  public void apply(String key, byte[] value) {
    if (value == null) {
      if (key != null) {
        byName.remove(key);
      }
      return;
    }
    Entry entry = parse(value);
    byName.merge(
        entry.modelName(), entry, (old, neu) -> neu.version() >= old.version() ? neu : old);
  }

  static Entry parse(byte[] value) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(value);
    } catch (IOException e) {
      throw new IllegalArgumentException("registry entry is not JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("registry entry is not a JSON object");
    }
    if (root.path("schemaVersion").asInt(-1) != QatEvent.SCHEMA_VERSION) {
      throw new IllegalArgumentException(
          "registry entry has schemaVersion " + root.get("schemaVersion"));
    }
    if (!"ModelApproved".equals(root.path("type").asText())) {
      throw new IllegalArgumentException(
          "registry entry has type " + root.get("type") + ", expected ModelApproved");
    }
    try {
      String name = required(root, "modelName").asText();
      JobSpec spec =
          root.hasNonNull("spec") ? Json.MAPPER.treeToValue(root.get("spec"), JobSpec.class) : null;
      return new Entry(
          name,
          required(root, "version").asInt(),
          required(root, "jobId").asText(),
          required(root, "round").asInt(),
          ref(required(root, "checkpoint")),
          spec,
          root.hasNonNull("calibratedCheckpoint") ? ref(root.get("calibratedCheckpoint")) : null);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("invalid registry entry: " + e.getMessage(), e);
    }
  }

  private static JsonNode required(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      throw new IllegalArgumentException("registry entry lacks " + field);
    }
    return node;
  }

  private static CheckpointRef ref(JsonNode node) {
    return new CheckpointRef(node.path("sha256").asText(), node.path("bytes").asLong(-1));
  }
}
