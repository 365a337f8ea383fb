package io.qatfleet.core.checkpoint;

import static io.qatfleet.core.checkpoint.CanonicalJson.MAPPER;
import static io.qatfleet.core.checkpoint.CheckpointException.malformed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qatfleet.core.checkpoint.CheckpointException.Reason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code __metadata__} object of a checkpoint header (see {@link CheckpointCodec} for the
 * layout): writes a {@link Checkpoint}'s kind, model spec, quantization and provenance as string
 * entries beside {@code format} and {@code format_version}, and reads them back. Reading rejects
 * with a {@link CheckpointException} metadata that is missing, of another format or version, or
 * whose entries are not the JSON they should be, checking in the order the entries are listed.
 */
final class CheckpointMetadata {
  private CheckpointMetadata() {}

  /** The metadata of a decoded header. */
  record Parsed(
      CheckpointKind kind, JsonNode modelSpec, JsonNode quantization, Provenance provenance) {}

  /** Adds the {@code __metadata__} object of {@code checkpoint} to {@code header}. */
  static void write(ObjectNode header, Checkpoint checkpoint) {
    ObjectNode metadata = header.putObject(Checkpoint.METADATA_KEY);
    metadata.put("format", CheckpointCodec.FORMAT);
    metadata.put("format_version", CheckpointCodec.FORMAT_VERSION);
    metadata.put("kind", checkpoint.kind().name());
    metadata.put("model_spec", CanonicalJson.write(checkpoint.modelSpec()));
    JsonNode quantization = checkpoint.quantization();
    if (quantization != null) {
      metadata.put("quantization", CanonicalJson.write(quantization));
    }
    metadata.put("provenance", CanonicalJson.write(provenanceJson(checkpoint.provenance())));
  }

  /** The metadata of {@code header}, validated. */
  static Parsed read(JsonNode header) {
    Map<String, String> metadata = metadata(header);
    CheckpointKind kind = kind(metadata);
    JsonNode modelSpec = json(metadata, "model_spec");
    JsonNode quantization =
        metadata.containsKey("quantization") ? json(metadata, "quantization") : null;
    Provenance provenance = provenance(json(metadata, "provenance"));
    return new Parsed(kind, modelSpec, quantization, provenance);
  }

  private static ObjectNode provenanceJson(Provenance p) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("jobId", p.jobId());
    node.put("round", p.round());
    node.put("parentSha256", p.parentSha256());
    node.put("dataset", p.dataset());
    node.put("codeVersion", p.codeVersion());
    node.put("createdAt", p.createdAt());
    if (p.datasetSha256() != null) {
      node.put("datasetSha256", p.datasetSha256());
    }
    if (p.classNames() != null) {
      p.classNames().forEach(node.putArray("classNames")::add);
    }
    return node;
  }

  private static Map<String, String> metadata(JsonNode header) {
    JsonNode node = header.get(Checkpoint.METADATA_KEY);
    if (node == null || !node.isObject()) {
      throw malformed("header has no " + Checkpoint.METADATA_KEY + " object", null);
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      if (!e.getValue().isTextual()) {
        throw malformed(
            Checkpoint.METADATA_KEY
                + " value '"
                + e.getKey()
                + "' must be a string but was "
                + e.getValue().getNodeType(),
            null);
      }
      metadata.put(e.getKey(), e.getValue().textValue());
    }
    String format = required(metadata, "format");
    if (!CheckpointCodec.FORMAT.equals(format)) {
      throw malformed(
          "not a " + CheckpointCodec.FORMAT + " checkpoint: format is '" + format + "'", null);
    }
    String version = required(metadata, "format_version");
    if (!CheckpointCodec.READABLE_VERSIONS.contains(version)) {
      throw new CheckpointException(
          Reason.UNSUPPORTED_VERSION,
          "unsupported checkpoint format_version "
              + version
              + " (this build reads "
              + String.join(", ", CheckpointCodec.READABLE_VERSIONS)
              + ")");
    }
    return metadata;
  }

  private static String required(Map<String, String> metadata, String key) {
    String value = metadata.get(key);
    if (value == null) {
      throw malformed(Checkpoint.METADATA_KEY + " has no '" + key + "' entry", null);
    }
    return value;
  }

  private static CheckpointKind kind(Map<String, String> metadata) {
    String kind = required(metadata, "kind");
    try {
      return CheckpointKind.valueOf(kind);
    } catch (IllegalArgumentException e) {
      throw malformed(
          "unknown checkpoint kind '"
              + kind
              + "' (expected one of "
              + Arrays.toString(CheckpointKind.values())
              + ")",
          e);
    }
  }

  private static JsonNode json(Map<String, String> metadata, String key) {
    String text = required(metadata, key);
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw malformed("metadata '" + key + "' is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static Provenance provenance(JsonNode node) {
    if (!node.isObject()) {
      throw malformed("metadata 'provenance' is not a JSON object", null);
    }
    JsonNode round = node.get("round");
    if (round == null || !round.isInt()) {
      throw malformed("provenance 'round' must be an integer but was " + round, null);
    }
    JsonNode parent = node.get("parentSha256");
    try {
      return new Provenance(
          provenanceText(node, "jobId"),
          round.intValue(),
          parent == null || parent.isNull() ? null : provenanceText(node, "parentSha256"),
          provenanceText(node, "dataset"),
          provenanceText(node, "codeVersion"),
          provenanceText(node, "createdAt"),
          node.has("datasetSha256") ? provenanceText(node, "datasetSha256") : null,
          classNames(node.get("classNames")));
    } catch (IllegalArgumentException e) {
      throw malformed("invalid provenance: " + e.getMessage(), e);
    }
  }

  private static List<String> classNames(JsonNode names) {
    if (names == null) {
      return null;
    }
    if (!names.isArray() || names.size() > 256) {
      throw malformed("provenance 'classNames' must be an array of at most 256 strings", null);
    }
    List<String> out = new ArrayList<>();
    for (JsonNode n : names) {
      if (!n.isTextual()) {
        throw malformed("provenance 'classNames' holds a non-string " + n, null);
      }
      out.add(n.textValue());
    }
    return out;
  }

  private static String provenanceText(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw malformed("provenance '" + field + "' must be a string but was " + value, null);
    }
    return value.textValue();
  }
}
