package io.qatfleet.core.json;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The one Jackson configuration for specs and metadata: enums are read case-insensitively
 * ("lsq_pact", "LSQ_PACT"), unknown fields are errors (a typo in a job spec must not be silently
 * ignored), and map keys are written in sorted order so that equal objects give equal bytes.
 */
public final class Json {
  public static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .findAndAddModules()
          .build();

  private Json() {}
}
