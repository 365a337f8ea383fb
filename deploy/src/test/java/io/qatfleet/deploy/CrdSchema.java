package io.qatfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Validation of a custom resource against the {@code openAPIV3Schema} of its
 * CustomResourceDefinition, as the API server does it for a structural schema: types, {@code
 * properties} with unknown fields rejected (what {@code kubectl apply}'s strict field validation
 * reports; the API server would prune them silently otherwise), {@code additionalProperties},
 * {@code x-kubernetes-preserve-unknown-fields}, {@code x-kubernetes-int-or-string}, {@code
 * required}, {@code enum}, {@code minimum}, {@code maximum}, {@code pattern}, {@code minItems},
 * {@code items}, {@code oneOf} and {@code anyOf}. The CEL rules of {@code x-kubernetes-validations}
 * are not evaluated.
 *
 * <p>The CRDs are Strimzi's, generated at build time from {@code io.strimzi:api} by Strimzi's own
 * generator into {@code target/strimzi-crds/<Kind>.yaml} (this module's pom).
 */
final class CrdSchema {

  private static final Map<String, JsonNode> CRDS = new ConcurrentHashMap<>();

  private CrdSchema() {}

  /** Where the build wrote the generated CRDs. */
  static Path directory() {
    return Path.of(
        System.getProperty("strimzi.crds", Yaml.DEPLOY.resolve("target/strimzi-crds").toString()));
  }

  /** The CRD of {@code kind}, read once. */
  static JsonNode crd(String kind) {
    return CRDS.computeIfAbsent(
        kind,
        k -> {
          Path file = directory().resolve(k + ".yaml");
          if (!Files.isRegularFile(file)) {
            throw new UncheckedIOException(
                new IOException(
                    file + " missing: the build generates it (mvn generate-test-resources)"));
          }
          return Yaml.documents(file).get(0);
        });
  }

  /**
   * The problems of {@code doc} against its CRD's schema for the doc's apiVersion; its metadata is
   * left to the ObjectMeta model, as the API server does.
   */
  static List<String> problems(JsonNode doc, String where) {
    List<String> problems = new ArrayList<>();
    JsonNode crd = crd(doc.path("kind").asText());
    String apiVersion = doc.path("apiVersion").asText();
    String group = crd.at("/spec/group").asText();
    JsonNode schema = null;
    for (JsonNode version : crd.at("/spec/versions")) {
      if ((group + "/" + version.path("name").asText()).equals(apiVersion)
          && version.path("served").asBoolean()) {
        schema = version.at("/schema/openAPIV3Schema");
      }
    }
    if (schema == null) {
      problems.add(
          where
              + ": "
              + apiVersion
              + " is not a served version of "
              + crd.at("/metadata/name").asText());
      return problems;
    }
    // The API server checks metadata as ObjectMeta, not against the CRD (which says only "object").
    ObjectNode withoutMetadata = doc.deepCopy();
    withoutMetadata.remove("metadata");
    validate(withoutMetadata, schema, where, problems);
    return problems;
  }

  /** Adds to {@code problems} every way {@code value} (at {@code path}) violates {@code schema}. */
  static void validate(JsonNode value, JsonNode schema, String path, List<String> problems) {
    if (!typeMatches(value, schema)) {
      problems.add(
          path + ": expected " + schema.path("type").asText("int-or-string") + ", was " + value);
      return;
    }
    if (schema.has("enum")) {
      boolean listed = false;
      for (JsonNode allowed : schema.get("enum")) {
        listed |= allowed.equals(value);
      }
      if (!listed) {
        problems.add(path + ": " + value + " is not one of " + schema.get("enum"));
      }
    }
    if (value.isNumber()) {
      if (schema.has("minimum") && value.asDouble() < schema.get("minimum").asDouble()) {
        problems.add(path + ": " + value + " < minimum " + schema.get("minimum"));
      }
      if (schema.has("maximum") && value.asDouble() > schema.get("maximum").asDouble()) {
        problems.add(path + ": " + value + " > maximum " + schema.get("maximum"));
      }
    }
    if (value.isTextual()
        && schema.has("pattern")
        && !Pattern.compile(schema.get("pattern").asText()).matcher(value.asText()).find()) {
      problems.add(path + ": '" + value.asText() + "' does not match " + schema.get("pattern"));
    }
    if (value.isArray()) {
      if (schema.has("minItems") && value.size() < schema.get("minItems").asInt()) {
        problems.add(path + ": fewer than " + schema.get("minItems") + " items");
      }
      int i = 0;
      for (JsonNode item : value) {
        if (schema.has("items")) {
          validate(item, schema.get("items"), path + "[" + i + "]", problems);
        }
        i++;
      }
    }
    if (value.isObject()) {
      object(value, schema, path, problems);
    }
    if (schema.has("oneOf")) {
      int passing = 0;
      for (JsonNode alternative : schema.get("oneOf")) {
        List<String> p = new ArrayList<>();
        validateAlternative(value, alternative, path, p);
        passing += p.isEmpty() ? 1 : 0;
      }
      if (passing != 1) {
        problems.add(path + ": matches " + passing + " of the oneOf alternatives, not exactly 1");
      }
    }
    if (schema.has("anyOf")) {
      boolean any = false;
      for (JsonNode alternative : schema.get("anyOf")) {
        List<String> p = new ArrayList<>();
        validateAlternative(value, alternative, path, p);
        any |= p.isEmpty();
      }
      if (!any) {
        problems.add(path + ": matches none of the anyOf alternatives");
      }
    }
  }

  private static void object(JsonNode value, JsonNode schema, String path, List<String> problems) {
    JsonNode properties = schema.path("properties");
    JsonNode additional = schema.get("additionalProperties");
    boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    value
        .fields()
        .forEachRemaining(
            e -> {
              String child = path + "." + e.getKey();
              if (properties.has(e.getKey())) {
                validate(e.getValue(), properties.get(e.getKey()), child, problems);
              } else if (additional != null && additional.isObject()) {
                validate(e.getValue(), additional, child, problems);
              } else if (!preserve && !(additional != null && additional.asBoolean(false))) {
                problems.add(path + ": unknown field " + e.getKey());
              }
            });
    for (JsonNode required : schema.path("required")) {
      if (!value.has(required.asText())) {
        problems.add(path + ": required field " + required.asText() + " missing");
      }
    }
  }

  /**
   * A oneOf/anyOf alternative of a structural schema holds value validations only (typically {@code
   * required}, with {@code properties} that merely name the fields): unknown fields are the
   * enclosing schema's business, not the alternative's.
   */
  private static void validateAlternative(
      JsonNode value, JsonNode alternative, String path, List<String> problems) {
    for (JsonNode required : alternative.path("required")) {
      if (!value.has(required.asText())) {
        problems.add(path + ": required field " + required.asText() + " missing");
      }
    }
    if (value.isObject()) {
      alternative
          .path("properties")
          .fields()
          .forEachRemaining(
              e -> {
                if (value.has(e.getKey()) && !e.getValue().isEmpty()) {
                  validate(value.get(e.getKey()), e.getValue(), path + "." + e.getKey(), problems);
                }
              });
    }
  }

  private static boolean typeMatches(JsonNode value, JsonNode schema) {
    if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
      return value.isIntegralNumber() || value.isTextual();
    }
    return switch (schema.path("type").asText("")) {
      case "object" -> value.isObject();
      case "array" -> value.isArray();
      case "string" -> value.isTextual();
      case "integer" -> value.isIntegralNumber();
      case "number" -> value.isNumber();
      case "boolean" -> value.isBoolean();
      default -> true;
    };
  }
}
