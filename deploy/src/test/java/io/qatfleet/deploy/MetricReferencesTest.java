package io.qatfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every metric an alert or a dashboard panel queries exists: {@code qat_*} ones among the meters
 * the services register ({@link MetricCatalog}), the others among the few that Prometheus and
 * Strimzi's Kafka Exporter provide. Writes the catalog to {@code target/metric-names.txt} for an
 * end-to-end check against a running service's {@code /q/metrics}.
 */
class MetricReferencesTest {

  /** Not from the services: Prometheus' scrape health and Strimzi's Kafka Exporter. */
  private static final Set<String> EXTERNAL =
      Set.of(
          "up",
          "kafka_consumergroup_lag",
          "kafka_consumergroup_current_offset",
          "kafka_topic_partition_current_offset");

  /**
   * The qat_* series names the three services expose: scraped from their /q/metrics after one job
   * ran through all stages (2026-11-26), plus the meters added since (dead letters' seals, skipped
   * chunks, retries), which are registered at start-up.
   */
  private static final Set<String> OBSERVED_ON_Q_METRICS =
      Set.of(
          "qat_checkpoint_bytes_count",
          "qat_checkpoint_bytes_max",
          "qat_checkpoint_bytes_sum",
          "qat_dlq_records_total",
          "qat_events_unsealed_total",
          "qat_quantize_duplicates_total",
          "qat_quantize_duration_seconds_count",
          "qat_quantize_duration_seconds_max",
          "qat_quantize_duration_seconds_sum",
          // RecordGuard (qat-service, @Startup): registered at 0 in every service since 2026-12-02.
          "qat_records_retries_total",
          // TensorFlowAtStart (qat-service): a gauge per pool, registered at start-up.
          "qat_tensorflow_threads",
          "qat_train_duplicates_total",
          "qat_train_duration_seconds_count",
          "qat_train_duration_seconds_max",
          "qat_train_duration_seconds_sum",
          "qat_train_samples_per_second_count",
          "qat_train_samples_per_second_max",
          "qat_train_samples_per_second_sum",
          "qat_validate_accuracy_drop_percentage_points_count",
          "qat_validate_accuracy_drop_percentage_points_max",
          "qat_validate_accuracy_drop_percentage_points_sum",
          "qat_validate_agreement_count",
          "qat_validate_agreement_max",
          "qat_validate_agreement_sum",
          "qat_validate_decisions_total",
          "qat_validate_duplicates_total",
          "qat_validate_duration_seconds_count",
          "qat_validate_duration_seconds_max",
          "qat_validate_duration_seconds_sum");

  private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Set<String> KEYWORDS =
      Set.of("by", "without", "and", "or", "unless", "on", "ignoring", "offset", "bool");

  @Test
  void catalogNamesWhatRunningServicesExpose() throws IOException {
    Set<String> names = MetricCatalog.prometheusNames(Yaml.REPO);
    Path out = Yaml.DEPLOY.resolve("target/metric-names.txt");
    Files.createDirectories(out.getParent());
    Files.write(out, names);
    assertThat(names).isEqualTo(OBSERVED_ON_Q_METRICS);
  }

  @Test
  void queriesOnlyMetricsThatExist() {
    Set<String> known = new TreeSet<>(MetricCatalog.prometheusNames(Yaml.REPO));
    known.addAll(EXTERNAL);
    List<String> exprs = expressions();
    assertThat(exprs).hasSizeGreaterThan(20);
    Set<String> used = new TreeSet<>();
    exprs.forEach(e -> used.addAll(metricsIn(e)));
    assertThat(used).isSubsetOf(known);
    assertThat(used)
        .contains(
            "qat_validate_decisions_total",
            "qat_dlq_records_total",
            "qat_train_samples_per_second_sum",
            "kafka_consumergroup_lag",
            "up");
  }

  @Test
  void findsMetricNamesInPromQl() {
    assertThat(
            metricsIn(
                "sum by (stage) (rate(qat_a_sum{outcome=\"ok\",x=~\"a|b\"}[5m]))"
                    + " / on (job) max(qat_b_max) and up offset 1h"))
        .containsExactlyInAnyOrder("qat_a_sum", "qat_b_max", "up");
  }

  static Set<String> metricsIn(String expr) {
    String s =
        expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
            .replaceAll("\\{[^}]*}", " ")
            .replaceAll("\\[[^]]*]", " ")
            .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENT.matcher(s);
    while (m.find()) {
      String rest = s.substring(m.end()).stripLeading();
      boolean function = rest.startsWith("(");
      boolean duration = m.start() > 0 && Character.isDigit(s.charAt(m.start() - 1));
      if (!function && !duration && !KEYWORDS.contains(m.group())) {
        names.add(m.group());
      }
    }
    return names;
  }

  private static List<String> expressions() {
    List<String> exprs = new ArrayList<>();
    JsonNode rule =
        Yaml.documents(Yaml.DEPLOY.resolve("base/monitoring/prometheus-rule.yaml")).get(0);
    for (JsonNode group : rule.at("/spec/groups")) {
      group.path("rules").forEach(r -> exprs.add(r.path("expr").asText()));
    }
    try {
      JsonNode dashboard =
          Yaml.MAPPER.readTree(
              Yaml.DEPLOY.resolve("base/monitoring/dashboards/qat-fleet.json").toFile());
      for (JsonNode panel : dashboard.path("panels")) {
        panel.path("targets").forEach(t -> exprs.add(t.path("expr").asText()));
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return exprs;
  }
}
