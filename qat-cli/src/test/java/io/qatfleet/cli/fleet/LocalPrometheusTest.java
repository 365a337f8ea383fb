package io.qatfleet.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What `qat up` hands Prometheus: the deployment's alert rules and the services to scrape. */
class LocalPrometheusTest {
  private final YAMLMapper yaml = new YAMLMapper();

  @Test
  void makesARulesFileOfTheDeploymentsPrometheusRule() throws Exception {
    String rule = Files.readString(Path.of("..").resolve(LocalPrometheus.RULES));
    long alerts = rule.lines().filter(l -> l.strip().startsWith("- alert:")).count();

    JsonNode rules = yaml.readTree(LocalPrometheus.rulesFile(rule));

    assertThat(rules.fieldNames()).toIterable().containsExactly("groups");
    assertThat(rules.get("groups").get(0).get("name").asText()).isEqualTo("qat-fleet.validation");
    assertThat(rules.findValues("alert")).hasSize((int) alerts);
  }

  @Test
  void rejectsAResourceWithoutRuleGroups() {
    assertThatThrownBy(() -> LocalPrometheus.rulesFile("kind: PrometheusRule\nspec: {}\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("spec.groups");
  }

  @Test
  void scrapesEachServicesManagementPort() throws Exception {
    List<RunningFleet.Part> services =
        List.of(
            new RunningFleet.Part(
                "trainer-service",
                1,
                Instant.EPOCH,
                "http://127.0.0.1:8081",
                "http://127.0.0.1:9081/q/health/ready",
                "t.log"),
            new RunningFleet.Part(
                "validator-service",
                2,
                Instant.EPOCH,
                "http://127.0.0.1:8083",
                "http://127.0.0.1:9083/q/health/ready",
                "v.log"));

    JsonNode config = yaml.readTree(LocalPrometheus.config(services, Path.of("/r/rules.yml")));

    assertThat(config.at("/rule_files/0").asText()).isEqualTo("/r/rules.yml");
    JsonNode job = config.at("/scrape_configs/0");
    assertThat(job.get("metrics_path").asText()).isEqualTo("/q/metrics");
    assertThat(job.at("/static_configs/0/targets/0").asText()).isEqualTo("127.0.0.1:9081");
    assertThat(job.at("/static_configs/1/targets/0").asText()).isEqualTo("127.0.0.1:9083");
    assertThat(job.at("/static_configs/1/labels/app").asText()).isEqualTo("validator-service");
  }
}
