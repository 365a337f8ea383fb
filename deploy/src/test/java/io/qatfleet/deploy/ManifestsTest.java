package io.qatfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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

  @Test
  void rejectsUnknownKind() {
    JsonNode doc = Yaml.MAPPER.createObjectNode().put("apiVersion", "v1").put("kind", "Servic");
    assertThat(ManifestValidator.problems(doc))
        .anyMatch(p -> p.contains("unknown apiVersion/kind"));
  }
}
