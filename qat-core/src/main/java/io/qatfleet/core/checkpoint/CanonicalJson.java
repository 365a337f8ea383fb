package io.qatfleet.core.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one JSON form checkpoint metadata is written in: object keys sorted, no whitespace, numbers
 * as Jackson reads them back. Normalising on the way in makes encoding deterministic and makes a
 * decoded checkpoint equal to the one that was encoded.
 */
final class CanonicalJson {

  static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private CanonicalJson() {}

  /**
   * A detached canonical copy of {@code node}.
   *
   * @throws IllegalArgumentException naming {@code field} if the node cannot be written as JSON
   */
  static JsonNode canonical(String field, JsonNode node) {
    try {
      return MAPPER.readTree(MAPPER.writeValueAsString(sortKeys(node)));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(field + " is not serialisable JSON: " + e.getMessage(), e);
    }
  }

  /** Compact text of {@code node}, which must already be canonical. */
  static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("canonical JSON failed to serialise", e);
    }
  }

  private static JsonNode sortKeys(JsonNode node) {
    if (node.isObject()) {
      TreeMap<String, JsonNode> sorted = new TreeMap<>();
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        sorted.put(e.getKey(), sortKeys(e.getValue()));
      }
      ObjectNode out = MAPPER.createObjectNode();
      sorted.forEach(out::set);
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = MAPPER.createArrayNode();
      node.forEach(child -> out.add(sortKeys(child)));
      return out;
    }
    return node;
  }
}
