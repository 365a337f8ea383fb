package io.qatfleet.core.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import io.qatfleet.core.json.Json;

/**
 * The one JSON form checkpoint metadata is written in: object keys sorted, no whitespace, numbers
 * as Jackson reads them back. Normalising on the way in makes encoding deterministic and makes a
 * decoded checkpoint equal to the one that was encoded.
 *
 * <p>The mapper starts from {@link Json#builder()} and reads more strictly, because a header is
 * digest-checked file content rather than user input: a repeated key or bytes after the JSON are
 * errors. Only {@link #canonical} sorts keys; {@link #write} keeps the order of the node it is
 * given, since the header lists tensors in their buffer order.
 */
final class CanonicalJson {

  static final ObjectMapper MAPPER =
      Json.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private static final ObjectWriter SORTED =
      MAPPER.writer().with(JsonNodeFeature.WRITE_PROPERTIES_SORTED);

  private CanonicalJson() {}

  /**
   * A detached canonical copy of {@code node}.
   *
   * @throws IllegalArgumentException naming {@code field} if the node cannot be written as JSON
   */
  static JsonNode canonical(String field, JsonNode node) {
    try {
      return MAPPER.readTree(SORTED.writeValueAsString(node));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(field + " is not serialisable JSON: " + e.getMessage(), e);
    }
  }

  /** Compact text of {@code node}, its keys in the node's own order. */
  static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("canonical JSON failed to serialise", e);
    }
  }
}
