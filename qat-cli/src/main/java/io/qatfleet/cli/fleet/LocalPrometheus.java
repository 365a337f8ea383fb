package io.qatfleet.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Prometheus beside a fleet started by {@code qat up}, when the machine has Debian's {@code
 * prometheus} (on {@code PATH}): it scrapes every service's {@code /q/metrics} on its management
 * port and evaluates the fleet's alert rules, the {@code spec} of {@code
 * deploy/base/monitoring/prometheus-rule.yaml} (the Prometheus Operator's PrometheusRule) written
 * as a plain rules file. Its configuration, data and log live under the fleet's directory.
 */
public final class LocalPrometheus {
  /** The name of this part of the fleet, and of its log. */
  public static final String NAME = "prometheus";

  /** Its port for a fleet started by {@code qat up} (plus the fleet's port offset). */
  public static final int DEFAULT_PORT = 9090;

  /** The alert rules of the Kubernetes deployment, relative to the repository root. */
  public static final Path RULES = Path.of("deploy/base/monitoring/prometheus-rule.yaml");

  private static final Duration READY = Duration.ofSeconds(60);
  private static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(15);

  private LocalPrometheus() {}

  /** The {@code prometheus} program on {@code PATH}, if there is one. */
  public static Optional<Path> binary() {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isBlank()) {
        Path candidate = Path.of(dir, NAME);
        if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Writes the configuration under {@code <fleetDir>/prometheus/}, starts {@code binary} on {@code
   * port} and waits until it is ready.
   *
   * @param services the fleet's services, whose health URLs name their management ports
   * @throws FleetStartException when Prometheus exits or is not ready in time (with its log)
   */
  public static RunningFleet.Part start(
      Path binary, Path repoRoot, Path fleetDir, List<RunningFleet.Part> services, int port)
      throws IOException {
    Path home = fleetDir.resolve(NAME);
    Files.createDirectories(home);
    Path rules = home.resolve("qat-fleet.rules.yml");
    Files.writeString(rules, rulesFile(Files.readString(repoRoot.resolve(RULES))));
    Path config = home.resolve("prometheus.yml");
    Files.writeString(config, config(services, rules));
    Path logDir = fleetDir.resolve("logs");
    Path log = logDir.resolve(NAME + ".log");
    String url = "http://127.0.0.1:" + port;
    Process process =
        new ProcessBuilder(
                binary.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + home.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    try {
      FleetProcesses.awaitHttpOk(NAME, process, url + "/-/ready", READY, log);
    } catch (RuntimeException e) {
      process.destroyForcibly();
      throw e;
    }
    return RunningFleet.Part.of(NAME, process.toHandle(), url, url + "/-/ready", logDir);
  }

  /**
   * A Prometheus rules file made of a PrometheusRule resource: its {@code spec} ({@code groups}) is
   * exactly what a rules file holds.
   *
   * @throws IllegalArgumentException when the resource has no {@code spec.groups}
   */
  static String rulesFile(String prometheusRule) throws IOException {
    YAMLMapper yaml = new YAMLMapper();
    JsonNode groups = yaml.readTree(prometheusRule).path("spec").path("groups");
    if (!groups.isArray() || groups.isEmpty()) {
      throw new IllegalArgumentException(
          RULES + ": a PrometheusRule with spec.groups expected, found none");
    }
    ObjectNode file = yaml.createObjectNode();
    file.set("groups", groups);
    return yaml.writeValueAsString(file);
  }

  /** Scrapes each service's management port, labelled with the service's name. */
  static String config(List<RunningFleet.Part> services, Path rules) throws IOException {
    YAMLMapper yaml = new YAMLMapper();
    ObjectNode root = yaml.createObjectNode();
    root.putObject("global")
        .put("scrape_interval", SCRAPE_INTERVAL.toSeconds() + "s")
        .put("evaluation_interval", SCRAPE_INTERVAL.toSeconds() + "s");
    root.putArray("rule_files").add(rules.toString());
    ObjectNode job = root.putArray("scrape_configs").addObject();
    job.put("job_name", "qat-fleet").put("metrics_path", "/q/metrics");
    ArrayNode targets = job.putArray("static_configs");
    for (RunningFleet.Part service : services) {
      URI health = URI.create(service.healthUrl());
      ObjectNode target = targets.addObject();
      target.putArray("targets").add(health.getHost() + ":" + health.getPort());
      target.putObject("labels").put("app", service.name());
    }
    return yaml.writeValueAsString(root);
  }
}
