package io.qatfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KustomizeTest {

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void buildsOverlayIntoValidManifests(String overlay) {
    List<ObjectNode> docs = MiniKustomize.build(Yaml.DEPLOY.resolve("overlays/" + overlay));
    List<String> problems = new ArrayList<>();
    docs.forEach(d -> problems.addAll(ManifestValidator.problems(d)));
    assertThat(problems).isEmpty();
    assertThat(docs.stream().map(Yaml::id))
        .doesNotHaveDuplicates()
        .contains(
            "Kafka/qat-kafka",
            "Deployment/trainer-service",
            "ConfigMap/qat-fleet-dashboard",
            "PrometheusRule/qat-fleet",
            "ScaledObject/trainer-service");
    assertThat(docs)
        .filteredOn(d -> !d.path("kind").asText().equals("Namespace"))
        .allMatch(d -> d.at("/metadata/namespace").asText().equals("qat-fleet"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void agreesWithKubectlKustomizeWhereInstalled(String overlay) throws Exception {
    Path kubectl =
        Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
            .map(d -> Path.of(d, "kubectl"))
            .filter(Files::isExecutable)
            .findFirst()
            .orElse(null);
    Assumptions.assumeTrue(kubectl != null, "no kubectl on PATH");
    Process p =
        new ProcessBuilder(
                kubectl.toString(),
                "kustomize",
                Yaml.DEPLOY.resolve("overlays/" + overlay).toString())
            .redirectErrorStream(false)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    Path tmp = Files.createTempFile("kustomize-" + overlay, ".yaml");
    Files.writeString(tmp, out);
    assertThat(byId(Yaml.documents(tmp)))
        .isEqualTo(byId(MiniKustomize.build(Yaml.DEPLOY.resolve("overlays/" + overlay))));
    Files.delete(tmp);
  }

  private static Map<String, JsonNode> byId(List<ObjectNode> docs) {
    Map<String, JsonNode> m = new TreeMap<>();
    docs.forEach(d -> m.put(Yaml.id(d), d));
    return m;
  }
}
