package io.qatfleet.core.json;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.util.stream.Collectors;

/**
 * The one Jackson configuration of the project: enums are read case-insensitively ("lsq_pact",
 * "LSQ_PACT"), unknown fields are errors (a typo in a job spec must not be silently ignored), a
 * null for a primitive is an error, a fraction for an integer or a string for a number is an error,
 * and map keys are written in sorted order so that equal objects give equal bytes.
 *
 * <p>{@link #MAPPER} reads and writes specs and metadata. A format with stricter rules of its own
 * starts from {@link #builder()} and adds them, so that the settings above are written once: the
 * event codec (qat-messaging) and the checkpoint header ({@code CanonicalJson}) do.
 */
public final class Json {

  /** Specs and metadata, with the JSON modules found on the class path (e.g. java.time). */
  public static final ObjectMapper MAPPER = builder().findAndAddModules().build();

  private Json() {}

  /**
   * Where in the document a mapping error happened, as a spec names its fields ({@code
   * model.layers[0].units}); empty when Jackson has no path.
   */
  public static String fieldPath(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."))
        .replace(".[", "[");
  }

  /** A builder holding the settings above and no modules, for a mapper with stricter rules. */
  public static JsonMapper.Builder builder() {
    return JsonMapper.builder()
        .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        // 4.7 or "4" for a count is a mistake to name, not a 4 to guess.
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .withCoercionConfig(
            LogicalType.Integer, c -> c.setCoercion(CoercionInputShape.String, CoercionAction.Fail))
        .withCoercionConfig(
            LogicalType.Float, c -> c.setCoercion(CoercionInputShape.String, CoercionAction.Fail))
        .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
  }
}
