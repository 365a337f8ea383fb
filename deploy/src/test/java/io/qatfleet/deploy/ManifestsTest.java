package io.qatfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestsTest {

  @Test
  void validatesEveryManifestAgainstTheApiModel() {
    List<String> problems = new ArrayList<>();
    int count = 0;
    for (String dir : List.of("base", "overlays", "examples")) {
      for (Path file : Yaml.yamlFiles(Yaml.DEPLOY.resolve(dir))) {
        if (file.getFileName().toString().equals("kustomization.yaml")
            || file.getParent().getFileName().toString().equals("patches")) {
          continue;
        }
        for (ObjectNode doc : Yaml.documents(file)) {
          problems.addAll(ManifestValidator.problems(doc));
          count++;
        }
      }
    }
    assertThat(problems).isEmpty();
    assertThat(count).isGreaterThan(25);
  }

  @Test
  void rejectsUnknownFieldInDeployment() {
    ObjectNode doc =
        Yaml.documents(Yaml.DEPLOY.resolve("base/services/trainer-service.yaml")).get(1);
    ((ObjectNode) doc.at("/spec/template/spec/containers/0")).put("livenessProbes", "typo");
    assertThat(ManifestValidator.problems(doc)).anyMatch(p -> p.contains("livenessProbes"));
  }

  @Test
  void rejectsWrongTypeInService() {
    ObjectNode doc =
        Yaml.documents(Yaml.DEPLOY.resolve("base/services/trainer-service.yaml")).get(2);
    ((ObjectNode) doc.at("/spec/ports/0")).putObject("port").put("x", 1);
    assertThat(ManifestValidator.problems(doc)).isNotEmpty();
  }

  private static ObjectNode strimzi(String file, String kind) {
    return Yaml.documents(Yaml.DEPLOY.resolve(file)).stream()
        .filter(d -> d.path("kind").asText().equals(kind))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void acceptsStrimziResourcesOfTheServedVersion() {
    for (String kind : List.of("Kafka", "KafkaNodePool")) {
      assertThat(ManifestValidator.problems(strimzi("base/kafka/kafka.yaml", kind))).isEmpty();
    }
    assertThat(ManifestValidator.problems(strimzi("base/kafka/topics.yaml", "KafkaTopic")))
        .isEmpty();
    assertThat(ManifestValidator.problems(strimzi("base/kafka/users.yaml", "KafkaUser"))).isEmpty();
  }

  @Test
  void rejectsStrimziV1beta2() {
    ObjectNode kafka = strimzi("base/kafka/kafka.yaml", "Kafka");
    kafka.put("apiVersion", "kafka.strimzi.io/v1beta2");
    assertThat(ManifestValidator.problems(kafka))
        .anyMatch(p -> p.contains("is kafka.strimzi.io/v1, not kafka.strimzi.io/v1beta2"));
  }

  @Test
  void rejectsUnknownFieldInKafkaByModelAndSchema() {
    ObjectNode kafka = strimzi("base/kafka/kafka.yaml", "Kafka");
    ((ObjectNode) kafka.at("/spec/kafka/listeners/0")).put("mechanism", "scram");
    assertThat(ManifestValidator.problems(kafka))
        .anyMatch(p -> p.contains("unknown field(s) [mechanism]"))
        .anyMatch(p -> p.endsWith("listeners[0]: unknown field mechanism"));
  }

  @Test
  void rejectsKafkaUserAclWithUnknownOperation() {
    ObjectNode user = strimzi("base/kafka/users.yaml", "KafkaUser");
    ((ArrayNode) user.at("/spec/authorization/acls/0/operations")).add("Writ");
    assertThat(ManifestValidator.problems(user))
        .anyMatch(p -> p.contains("\"Writ\" is not one of"));
  }

  @Test
  void rejectsKafkaUserAclWithoutOperations() {
    ObjectNode user = strimzi("base/kafka/users.yaml", "KafkaUser");
    ((ObjectNode) user.at("/spec/authorization/acls/0")).remove("operations");
    assertThat(ManifestValidator.problems(user))
        .anyMatch(p -> p.contains("required field operations missing"));
  }

  @Test
  void rejectsKafkaTopicBelowTheSchemasMinimum() {
    ObjectNode topic = strimzi("base/kafka/topics.yaml", "KafkaTopic");
    ((ObjectNode) topic.get("spec")).put("partitions", 0);
    assertThat(ManifestValidator.problems(topic)).anyMatch(p -> p.contains("< minimum 1"));
  }

  @Test
  void rejectsNodePoolWithoutClusterLabel() {
    ObjectNode pool = strimzi("base/kafka/kafka.yaml", "KafkaNodePool");
    ((ObjectNode) pool.get("metadata")).remove("labels");
    assertThat(ManifestValidator.problems(pool))
        .anyMatch(p -> p.contains("label strimzi.io/cluster missing"));
  }

  @Test
  void rejectsUnknownKind() {
    JsonNode doc = Yaml.MAPPER.createObjectNode().put("apiVersion", "v1").put("kind", "Servic");
    assertThat(ManifestValidator.problems(doc))
        .anyMatch(p -> p.contains("unknown apiVersion/kind"));
  }
}
