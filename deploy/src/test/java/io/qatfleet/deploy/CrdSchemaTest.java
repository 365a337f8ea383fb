package io.qatfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The schema keywords of Strimzi's CRDs, each against a value that passes and one that fails. */
class CrdSchemaTest {

  private static List<String> problems(String value, String schema) throws Exception {
    List<String> problems = new ArrayList<>();
    CrdSchema.validate(Yaml.MAPPER.readTree(value), Yaml.MAPPER.readTree(schema), "x", problems);
    return problems;
  }

  /** As Strimzi's CRDs write an environment variable of a container template. */
  private static final String ENV =
      """
      type: object
      properties:
        name: {type: string}
        value: {type: string}
        valueFrom: {type: object, properties: {secretKeyRef: {type: object}}}
      oneOf:
        - properties: {value: {}}
          required: [value]
        - properties: {valueFrom: {}}
          required: [valueFrom]
      """;

  @Test
  void requiresExactlyOneOneOfAlternative() throws Exception {
    assertThat(problems("{name: A, value: b}", ENV)).isEmpty();
    assertThat(problems("{name: A, value: b, valueFrom: {secretKeyRef: {}}}", ENV))
        .containsExactly("x: matches 2 of the oneOf alternatives, not exactly 1");
    assertThat(problems("{name: A}", ENV))
        .containsExactly("x: matches 0 of the oneOf alternatives, not exactly 1");
  }

  @Test
  void checksTypesOfFieldsAndOfAdditionalProperties() throws Exception {
    String schema = "{type: object, properties: {n: {type: integer}}}";
    assertThat(problems("{n: 1}", schema)).isEmpty();
    assertThat(problems("{n: '1'}", schema)).containsExactly("x.n: expected integer, was \"1\"");
    assertThat(problems("{m: 1}", schema)).containsExactly("x: unknown field m");
    String labels = "{type: object, additionalProperties: {type: string}}";
    assertThat(problems("{a: b}", labels)).isEmpty();
    assertThat(problems("{a: 1}", labels)).containsExactly("x.a: expected string, was 1");
  }

  @Test
  void keepsUnknownFieldsWherePreserved() throws Exception {
    JsonNode config = Yaml.MAPPER.readTree("{any: {thing: 1}}");
    List<String> problems = new ArrayList<>();
    CrdSchema.validate(
        config,
        Yaml.MAPPER.readTree("{type: object, x-kubernetes-preserve-unknown-fields: true}"),
        "x",
        problems);
    assertThat(problems).isEmpty();
  }

  @Test
  void acceptsIntOrString() throws Exception {
    String schema = "{x-kubernetes-int-or-string: true}";
    assertThat(problems("1", schema)).isEmpty();
    assertThat(problems("'50%'", schema)).isEmpty();
    assertThat(problems("true", schema)).hasSize(1);
  }

  @Test
  void checksPatternsAndMinimumItems() throws Exception {
    assertThat(problems("'10Gi'", "{type: string, pattern: '^[0-9]+Gi$'}")).isEmpty();
    assertThat(problems("'ten'", "{type: string, pattern: '^[0-9]+Gi$'}")).hasSize(1);
    assertThat(problems("[]", "{type: array, minItems: 1, items: {type: string}}"))
        .containsExactly("x: fewer than 1 items");
  }
}
