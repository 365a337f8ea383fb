package io.qatfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qatfleet.messaging.topic.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** References between manifests, and from manifests to the services, hold in both overlays. */
class CrossReferencesTest {

  /** The port names of the job API and of the management interface (health, metrics). */
  private static final String HTTP = "http";

  private static final String MANAGEMENT = "management";

  private static List<ObjectNode> build(String overlay) {
    return Fleet.overlay(overlay);
  }

  private static List<ObjectNode> ofKind(List<ObjectNode> docs, String kind) {
    return Fleet.ofKind(docs, kind);
  }

  static boolean matches(JsonNode selector, JsonNode labels) {
    var it = selector.fields();
    while (it.hasNext()) {
      var e = it.next();
      if (!labels.path(e.getKey()).equals(e.getValue())) {
        return false;
      }
    }
    return true;
  }

  static Properties applicationProperties(String service) throws IOException {
    Properties p = new Properties();
    try (Reader r =
        Files.newBufferedReader(
            Yaml.REPO.resolve(service + "/src/main/resources/application.properties"))) {
      p.load(r);
    }
    return p;
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void servicesSelectPodsAndPortsOfTheirDeployment(String overlay) throws IOException {
    List<ObjectNode> docs = build(overlay);
    for (String name : MetricCatalog.SERVICES) {
      int port = Integer.parseInt(applicationProperties(name).getProperty("quarkus.http.port"));
      JsonNode deployment = find(docs, "Deployment", name);
      JsonNode service = find(docs, "Service", name);
      JsonNode podLabels = deployment.at("/spec/template/metadata/labels");
      assertThat(matches(deployment.at("/spec/selector/matchLabels"), podLabels)).isTrue();
      assertThat(matches(service.at("/spec/selector"), podLabels)).as(name).isTrue();
      for (ObjectNode other : ofKind(docs, "Deployment")) {
        if (other != deployment) {
          assertThat(
                  matches(service.at("/spec/selector"), other.at("/spec/template/metadata/labels")))
              .as("%s selects pods of %s", name, Yaml.id(other))
              .isFalse();
        }
      }
      int management =
          Integer.parseInt(applicationProperties(name).getProperty("quarkus.management.port"));
      JsonNode container = deployment.at("/spec/template/spec/containers/0");
      assertThat(namedPort(container.path("ports"), HTTP).path("containerPort").asInt())
          .as(name)
          .isEqualTo(port);
      assertThat(namedPort(container.path("ports"), MANAGEMENT).path("containerPort").asInt())
          .as(name)
          .isEqualTo(management);
      assertThat(namedPort(service.at("/spec/ports"), HTTP).path("port").asInt()).isEqualTo(port);
      assertThat(namedPort(service.at("/spec/ports"), HTTP).path("targetPort").asText())
          .isEqualTo(HTTP);
      assertThat(namedPort(service.at("/spec/ports"), MANAGEMENT).path("port").asInt())
          .isEqualTo(management);
      assertThat(namedPort(service.at("/spec/ports"), MANAGEMENT).path("targetPort").asText())
          .isEqualTo(MANAGEMENT);
      assertThat(container.at("/startupProbe/httpGet/path").asText())
          .isEqualTo("/q/health/started");
      assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/q/health/live");
      assertThat(container.at("/readinessProbe/httpGet/path").asText())
          .isEqualTo("/q/health/ready");
      for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
        assertThat(container.path(probe).at("/httpGet/port").asText())
            .as("%s %s: health is on the management interface", name, probe)
            .isEqualTo(MANAGEMENT);
      }
      JsonNode config =
          find(docs, "ConfigMap", container.at("/envFrom/0/configMapRef/name").asText());
      assertThat(config.path("data").path("KAFKA_BOOTSTRAP_SERVERS").asText())
          .isEqualTo("qat-kafka-kafka-bootstrap:9092");
      assertThat(config.path("data").has("QAT_STATE_DIR")).isTrue();
      assertThat(config.path("data").has("QAT_DATA_DIR")).isTrue();
      for (JsonNode volume : deployment.at("/spec/template/spec/volumes")) {
        if (volume.has("persistentVolumeClaim")) {
          find(
              docs,
              "PersistentVolumeClaim",
              volume.at("/persistentVolumeClaim/claimName").asText());
        }
      }
      JsonNode requests = container.at("/resources/requests");
      JsonNode limits = container.at("/resources/limits");
      assertThat(requests.has("memory") && limits.has("memory") && requests.has("cpu")).isTrue();
      assertThat(limits.has("cpu"))
          .as("%s: a CPU limit, which sizes TensorFlow's and ONNX Runtime's thread pools", name)
          .isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void podsRunRestricted(String overlay) {
    for (ObjectNode d : ofKind(build(overlay), "Deployment")) {
      JsonNode pod = d.at("/spec/template/spec");
      assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
      assertThat(pod.at("/securityContext/seccompProfile/type").asText())
          .isEqualTo("RuntimeDefault");
      for (JsonNode c : pod.path("containers")) {
        assertThat(c.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(c.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).isFalse();
        assertThat(c.at("/securityContext/capabilities/drop").toString()).isEqualTo("[\"ALL\"]");
        Set<String> mounts = new TreeSet<>();
        c.path("volumeMounts").forEach(m -> mounts.add(m.path("mountPath").asText()));
        assertThat(mounts).contains("/tmp", "/var/lib/qat/state", "/var/lib/qat/datasets");
      }
      assertThat(d.at("/spec/template/metadata/labels/qat-fleet.io~1kafka-client").asText())
          .as("%s may reach Kafka", Yaml.id(d))
          .isEqualTo("true");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void monitorsSelectExistingServicesAndPorts(String overlay) {
    List<ObjectNode> docs = build(overlay);
    List<ObjectNode> monitors = ofKind(docs, "ServiceMonitor");
    assertThat(monitors).hasSize(3);
    for (ObjectNode m : monitors) {
      List<ObjectNode> selected =
          ofKind(docs, "Service").stream()
              .filter(s -> matches(m.at("/spec/selector/matchLabels"), s.at("/metadata/labels")))
              .toList();
      assertThat(selected).as(Yaml.id(m)).hasSize(1);
      assertThat(m.at("/spec/endpoints")).as(Yaml.id(m)).hasSize(1);
      assertThat(m.at("/spec/endpoints/0/port").asText())
          .as("%s scrapes the management port", Yaml.id(m))
          .isEqualTo(MANAGEMENT);
      namedPort(selected.get(0).at("/spec/ports"), MANAGEMENT);
      assertThat(m.at("/spec/endpoints/0/path").asText()).isEqualTo("/q/metrics");
    }
  }

  /**
   * Clients reach the trainer's API port and nothing else; Prometheus (namespace monitoring)
   * reaches the management ports (metrics) and nothing else.
   */
  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void admitsClientsToApiAndPrometheusToManagementPortsOnly(String overlay) throws IOException {
    List<ObjectNode> docs = build(overlay);
    Set<Integer> apiPorts = new TreeSet<>();
    Set<Integer> managementPorts = new TreeSet<>();
    for (String name : MetricCatalog.SERVICES) {
      Properties p = applicationProperties(name);
      apiPorts.add(Integer.parseInt(p.getProperty("quarkus.http.port")));
      managementPorts.add(Integer.parseInt(p.getProperty("quarkus.management.port")));
    }
    int trainerApi =
        Integer.parseInt(applicationProperties("trainer-service").getProperty("quarkus.http.port"));
    for (ObjectNode np : ofKind(docs, "NetworkPolicy")) {
      for (JsonNode rule : np.at("/spec/ingress")) {
        Set<Integer> ports = new TreeSet<>();
        rule.path("ports").forEach(port -> ports.add(port.path("port").asInt()));
        boolean fromMonitoring =
            rule.path("from").size() == 1
                && rule.at("/from/0/namespaceSelector/matchLabels/kubernetes.io~1metadata.name")
                    .asText()
                    .equals("monitoring")
                && rule.at("/from/0/podSelector").isMissingNode();
        if (fromMonitoring) {
          assertThat(ports).as(Yaml.id(np)).isEqualTo(managementPorts);
        } else {
          // Clients reach a service's API port only: the trainer's job API, the validator's
          // approval key (GET /approval-key); never a management port.
          String selected = np.at("/spec/podSelector/matchLabels/app.kubernetes.io~1name").asText();
          int api =
              selected.equals("validator-service")
                  ? Integer.parseInt(
                      applicationProperties("validator-service").getProperty("quarkus.http.port"))
                  : trainerApi;
          assertThat(ports).as(Yaml.id(np)).containsExactly(api);
        }
      }
    }
    assertThat(find(docs, "NetworkPolicy", "qat-fleet-metrics").at("/spec/ingress/0/ports").size())
        .isEqualTo(managementPorts.size());
    assertThat(apiPorts).doesNotContainAnyElementsOf(managementPorts);
  }

  /**
   * The trainer verifies job API tokens against a public key mounted from a Secret at the location
   * its configuration names, with the issuer the service expects by default.
   */
  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void trainerVerifiesTokensWithMountedPublicKey(String overlay) throws IOException {
    List<ObjectNode> docs = build(overlay);
    JsonNode deployment = find(docs, "Deployment", "trainer-service");
    JsonNode container = deployment.at("/spec/template/spec/containers/0");
    JsonNode config =
        find(docs, "ConfigMap", container.at("/envFrom/0/configMapRef/name").asText()).path("data");
    String location = config.path("MP_JWT_VERIFY_PUBLICKEY_LOCATION").asText();
    assertThat(location).startsWith("file:/");
    Path keyFile = Path.of(location.substring("file:".length()));
    assertThat(config.path("MP_JWT_VERIFY_ISSUER").asText())
        .isEqualTo(applicationProperties("trainer-service").getProperty("mp.jwt.verify.issuer"));
    JsonNode mount = null;
    for (JsonNode m : container.path("volumeMounts")) {
      if (keyFile.getParent().equals(Path.of(m.path("mountPath").asText()))) {
        mount = m;
      }
    }
    assertThat(mount).as("a volume mounted at %s", keyFile.getParent()).isNotNull();
    assertThat(mount.path("readOnly").asBoolean()).isTrue();
    JsonNode volume = null;
    for (JsonNode v : deployment.at("/spec/template/spec/volumes")) {
      if (v.path("name").asText().equals(mount.path("name").asText())) {
        volume = v;
      }
    }
    assertThat(volume).isNotNull();
    assertThat(volume.at("/secret/secretName").asText()).isEqualTo("qat-jwt-public-key");
    assertThat(volume.at("/secret/items/0/path").asText())
        .isEqualTo(keyFile.getFileName().toString());
  }

  private static JsonNode namedPort(JsonNode ports, String name) {
    for (JsonNode port : ports) {
      if (port.path("name").asText().equals(name)) {
        return port;
      }
    }
    throw new AssertionError("no port named " + name + " in " + ports);
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void scalesTrainersOnTheirOwnGroupAndTopics(String overlay) throws IOException {
    List<ObjectNode> docs = build(overlay);
    Properties trainer = applicationProperties("trainer-service");
    JsonNode so = find(docs, "ScaledObject", "trainer-service");
    find(docs, "Deployment", so.at("/spec/scaleTargetRef/name").asText());
    Set<String> topics = new TreeSet<>();
    for (JsonNode t : so.at("/spec/triggers")) {
      assertThat(t.at("/metadata/consumerGroup").asText())
          .isEqualTo(trainer.getProperty("kafka.group.id"));
      assertThat(t.at("/metadata/bootstrapServers").asText())
          .startsWith("qat-kafka-kafka-bootstrap.qat-fleet.svc:9092");
      topics.add(t.at("/metadata/topic").asText());
    }
    assertThat(topics)
        .containsExactlyInAnyOrder(
            trainer.getProperty("mp.messaging.incoming.jobs-in.topic"),
            trainer.getProperty("mp.messaging.incoming.train-in.topic"));
    assertThat(so.at("/spec/maxReplicaCount").asInt()).isLessThanOrEqualTo(Topics.WORK_PARTITIONS);
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void networkPoliciesSelectFleetPods(String overlay) {
    List<ObjectNode> docs = build(overlay);
    List<String> unselected = new ArrayList<>();
    for (ObjectNode np : ofKind(docs, "NetworkPolicy")) {
      JsonNode sel = np.at("/spec/podSelector/matchLabels");
      boolean any =
          ofKind(docs, "Deployment").stream()
              .anyMatch(
                  d -> sel.isMissingNode() || matches(sel, d.at("/spec/template/metadata/labels")));
      if (!any) {
        unselected.add(Yaml.id(np));
      }
    }
    assertThat(unselected).isEmpty();
    JsonNode kafkaPeer =
        find(docs, "NetworkPolicy", "qat-fleet-egress-kafka-dns")
            .at("/spec/egress/0/to/0/podSelector/matchLabels");
    assertThat(kafkaPeer.path("strimzi.io/cluster").asText()).isEqualTo("qat-kafka");
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void mountsTheApprovalKeyFilesTheServicesAreToldAbout(String overlay) {
    List<ObjectNode> docs = build(overlay);
    Map<String, String> validator = mountedFrom(docs, "validator-service");
    Map<String, String> trainer = mountedFrom(docs, "trainer-service");

    assertThat(source(validator, env(docs, "validator-service", "QAT_APPROVAL_PRIVATE_KEY_FILE")))
        .isEqualTo("secret/qat-approval-key");
    assertThat(source(validator, env(docs, "validator-service", "QAT_APPROVAL_PUBLIC_KEY_FILE")))
        .isEqualTo("configMap/qat-approval-public-key");
    assertThat(source(trainer, env(docs, "trainer-service", "QAT_APPROVAL_PUBLIC_KEY_FILE")))
        .isEqualTo("configMap/qat-approval-public-key");
    for (ObjectNode d : ofKind(docs, "Deployment")) {
      if (!Yaml.id(d).equals("Deployment/validator-service")) {
        assertThat(d.at("/spec/template/spec/volumes").toString())
            .as("only the validator mounts the private key")
            .doesNotContain("qat-approval-key\"");
      }
    }
  }

  /**
   * The three services, and nothing else (the retraining trigger's CronJob included), get the
   * fleet's event key, from Secret qat-event-key: the seal proves a fleet service wrote an event.
   */
  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void givesTheEventKeyFromItsSecretToTheServicesOnly(String overlay) {
    List<ObjectNode> docs = new ArrayList<>(build(overlay));
    docs.addAll(Yaml.documents(Yaml.DEPLOY.resolve("examples/retrain-trigger.yaml")));
    Set<String> holders = new TreeSet<>();
    for (ObjectNode d : docs) {
      for (JsonNode env : d.findValues("env")) {
        for (JsonNode var : env) {
          if (var.path("name").asText().equals("QAT_EVENT_KEY")) {
            assertThat(var.at("/valueFrom/secretKeyRef/name").asText())
                .as(Yaml.id(d))
                .isEqualTo("qat-event-key");
            assertThat(var.at("/valueFrom/secretKeyRef/key").asText()).isEqualTo("event.key");
            holders.add(Yaml.id(d));
          }
        }
      }
      assertThat(d.toString()).as(Yaml.id(d)).doesNotContain("event.key\":\"");
    }
    assertThat(holders)
        .containsExactly(
            "Deployment/quantizer-service",
            "Deployment/trainer-service",
            "Deployment/validator-service");
  }

  /** The env value {@code name} of {@code deployment}'s ConfigMap. */
  private static String env(List<ObjectNode> docs, String deployment, String name) {
    JsonNode container =
        find(docs, "Deployment", deployment).at("/spec/template/spec/containers/0");
    String value =
        find(docs, "ConfigMap", container.at("/envFrom/0/configMapRef/name").asText())
            .at("/data/" + name)
            .asText();
    assertThat(value).as("%s of %s", name, deployment).isNotBlank();
    return value;
  }

  /** Mount path to the volume's source ({@code secret/<name>}, {@code configMap/<name>}, ...). */
  private static Map<String, String> mountedFrom(List<ObjectNode> docs, String deployment) {
    JsonNode pod = find(docs, "Deployment", deployment).at("/spec/template/spec");
    Map<String, String> sources = new java.util.TreeMap<>();
    for (JsonNode v : pod.path("volumes")) {
      if (v.has("secret")) {
        sources.put(v.path("name").asText(), "secret/" + v.at("/secret/secretName").asText());
      } else if (v.has("configMap")) {
        sources.put(v.path("name").asText(), "configMap/" + v.at("/configMap/name").asText());
      }
    }
    Map<String, String> mounts = new java.util.TreeMap<>();
    for (JsonNode m : pod.at("/containers/0/volumeMounts")) {
      mounts.put(m.path("mountPath").asText(), sources.get(m.path("name").asText()));
    }
    return mounts;
  }

  private static String source(Map<String, String> mounts, String file) {
    return mounts.entrySet().stream()
        .filter(e -> file.startsWith(e.getKey() + "/"))
        .map(Map.Entry::getValue)
        .findFirst()
        .orElse("nothing mounted at " + file);
  }

  static JsonNode find(List<ObjectNode> docs, String kind, String name) {
    return Fleet.find(docs, kind, name);
  }

  static Map<String, String> configOf(JsonNode topic) {
    Map<String, String> m = new java.util.TreeMap<>();
    topic
        .at("/spec/config")
        .fields()
        .forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
    return m;
  }
}
