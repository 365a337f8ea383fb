package io.qatfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How clients reach Kafka: only through a TLS listener that authenticates (SCRAM-SHA-512) and
 * authorizes (ACLs); every client with the credentials of a KafkaUser of its own, taken from the
 * Secret Strimzi's User Operator writes for that user, and the cluster CA as its truststore.
 */
class KafkaCredentialsTest {

  private static final String CLUSTER = "qat-kafka";
  private static final String CLUSTER_CA_SECRET = CLUSTER + "-cluster-ca-cert";
  private static final String BOOTSTRAP_SERVICE = CLUSTER + "-kafka-bootstrap";

  /** Kafka's client settings: what a KAFKA_* variable may name. */
  private static final Set<String> CLIENT_SETTINGS = new HashSet<>();

  static {
    CLIENT_SETTINGS.addAll(AdminClientConfig.configNames());
    CLIENT_SETTINGS.addAll(ProducerConfig.configNames());
    CLIENT_SETTINGS.addAll(ConsumerConfig.configNames());
  }

  private static JsonNode kafka(List<ObjectNode> docs) {
    return Fleet.find(docs, "Kafka", CLUSTER);
  }

  /** The only listener; asserting there is one. */
  private static JsonNode listener(List<ObjectNode> docs) {
    JsonNode listeners = kafka(docs).at("/spec/kafka/listeners");
    assertThat(listeners.size()).as("listeners").isEqualTo(1);
    return listeners.get(0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void everyListenerEncryptsAuthenticatesAndAuthorizes(String overlay) {
    List<ObjectNode> docs = Fleet.overlay(overlay);
    JsonNode kafka = kafka(docs);
    for (JsonNode l : kafka.at("/spec/kafka/listeners")) {
      assertThat(l.path("tls").asBoolean()).as("listener %s tls", l.path("name")).isTrue();
      assertThat(l.at("/authentication/type").asText())
          .as("listener %s authentication", l.path("name"))
          .isEqualTo("scram-sha-512");
    }
    assertThat(kafka.at("/spec/kafka/authorization/type").asText()).isEqualTo("simple");
    assertThat(kafka.at("/spec/kafka/authorization/superUsers")).as("superUsers").isEmpty();
    assertThat(kafka.at("/spec/entityOperator").has("userOperator")).as("User Operator").isTrue();
    assertThat(kafka.at("/spec/entityOperator").has("topicOperator")).as("Topic Operator").isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void everyKafkaUserIsAScramUserOfTheCluster(String overlay) {
    List<ObjectNode> users = Fleet.ofKind(Fleet.withExamples(Fleet.overlay(overlay)), "KafkaUser");
    assertThat(users).hasSizeGreaterThanOrEqualTo(5);
    for (ObjectNode user : users) {
      assertThat(user.at("/metadata/labels/strimzi.io~1cluster").asText()).isEqualTo(CLUSTER);
      assertThat(user.at("/spec/authentication/type").asText()).isEqualTo("scram-sha-512");
      assertThat(user.at("/spec/authorization/type").asText()).isEqualTo("simple");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void everyClientLogsInAsAKafkaUserOfItsOwnOverTls(String overlay) {
    List<ObjectNode> docs = Fleet.withExamples(Fleet.overlay(overlay));
    int port = listener(docs).path("port").asInt();
    Set<String> users = names(Fleet.ofKind(docs, "KafkaUser"));
    Map<String, String> principalOf = new TreeMap<>();
    for (ObjectNode workload : PodSecurityTest.workloads(docs)) {
      JsonNode pod = PodSecurity.podSpec(workload);
      for (JsonNode container : pod.path("containers")) {
        Map<String, JsonNode> env = environment(container, docs);
        if (!env.containsKey("KAFKA_BOOTSTRAP_SERVERS")) {
          continue;
        }
        String where = Yaml.id(workload) + " " + container.path("name").asText();
        assertThat(env.get("KAFKA_BOOTSTRAP_SERVERS").asText())
            .as(where)
            .isEqualTo(BOOTSTRAP_SERVICE + ":" + port);
        assertThat(env.get("KAFKA_SECURITY_PROTOCOL").asText()).as(where).isEqualTo("SASL_SSL");
        assertThat(env.get("KAFKA_SASL_MECHANISM").asText()).as(where).isEqualTo("SCRAM-SHA-512");
        JsonNode login = env.get("KAFKA_SASL_JAAS_CONFIG").at("/valueFrom/secretKeyRef");
        assertThat(login.path("key").asText()).as(where).isEqualTo("sasl.jaas.config");
        String user = login.path("name").asText();
        assertThat(users).as("%s: the Secret of a KafkaUser", where).contains(user);
        assertThat(principalOf.put(user, where)).as("%s shares KafkaUser %s", where, user).isNull();
        assertThat(env.get("KAFKA_SSL_TRUSTSTORE_TYPE").asText()).as(where).isEqualTo("PEM");
        assertThat(secretFileAt(pod, container, env.get("KAFKA_SSL_TRUSTSTORE_LOCATION").asText()))
            .as("%s: truststore", where)
            .isEqualTo(CLUSTER_CA_SECRET + "/ca.crt");
        if (workload.path("kind").asText().equals("Deployment")) {
          assertThat(user)
              .as("%s: its own principal", where)
              .isEqualTo(workload.at("/metadata/name").asText());
          assertThat(env.get("QAT_CREATE_TOPICS").asText()).as(where).isEqualTo("false");
        }
      }
    }
    assertThat(principalOf.keySet())
        .containsAll(MetricCatalog.SERVICES)
        .contains("retrain-trigger");
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void kafkaVariablesNameKafkaClientSettings(String overlay) {
    List<ObjectNode> docs = Fleet.withExamples(Fleet.overlay(overlay));
    for (ObjectNode workload : PodSecurityTest.workloads(docs)) {
      for (JsonNode container : PodSecurity.podSpec(workload).path("containers")) {
        for (String name : environment(container, docs).keySet()) {
          if (name.startsWith("KAFKA_") && !name.equals("KAFKA_HOME")) {
            // Quarkus' mapping of KAFKA_X_Y onto the client setting x.y
            // (KafkaRuntimeConfigProducer).
            String setting = name.substring("KAFKA_".length()).toLowerCase().replace('_', '.');
            assertThat(CLIENT_SETTINGS).as("%s in %s", name, Yaml.id(workload)).contains(setting);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void kedaLogsInAsItsOwnUserOverTls(String overlay) {
    List<ObjectNode> docs = Fleet.overlay(overlay);
    int port = listener(docs).path("port").asInt();
    for (ObjectNode so : Fleet.ofKind(docs, "ScaledObject")) {
      for (JsonNode trigger : so.at("/spec/triggers")) {
        JsonNode metadata = trigger.path("metadata");
        assertThat(metadata.path("bootstrapServers").asText())
            .isEqualTo(BOOTSTRAP_SERVICE + ".qat-fleet.svc:" + port);
        assertThat(metadata.path("sasl").asText()).isEqualTo("scram_sha512");
        assertThat(metadata.path("tls").asText()).isEqualTo("enable");
        String user = kedaUser(docs, trigger);
        assertThat(names(Fleet.ofKind(docs, "KafkaUser"))).contains(user);
        assertThat(MetricCatalog.SERVICES).doesNotContain(user);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void egressPolicyAdmitsTheListener(String overlay) {
    List<ObjectNode> docs = Fleet.overlay(overlay);
    int port = listener(docs).path("port").asInt();
    boolean admitted = false;
    for (ObjectNode np : Fleet.ofKind(docs, "NetworkPolicy")) {
      if (!np.at("/spec/podSelector/matchLabels/qat-fleet.io~1kafka-client")
          .asText()
          .equals("true")) {
        continue;
      }
      for (JsonNode rule : np.at("/spec/egress")) {
        boolean toKafka = false;
        for (JsonNode peer : rule.path("to")) {
          toKafka |=
              peer.at("/podSelector/matchLabels/strimzi.io~1cluster").asText().equals(CLUSTER);
        }
        for (JsonNode p : rule.path("ports")) {
          admitted |= toKafka && p.path("port").asInt() == port;
        }
      }
    }
    assertThat(admitted).as("egress of kafka-client pods to port %d of %s", port, CLUSTER).isTrue();
  }

  @Test
  void resolvesEnvironmentFromConfigMapsAndSecrets() {
    List<ObjectNode> docs = Fleet.overlay("dev");
    JsonNode container =
        Fleet.find(docs, "Deployment", "quantizer-service").at("/spec/template/spec/containers/0");
    Map<String, JsonNode> env = environment(container, docs);
    assertThat(env.get("KAFKA_SECURITY_PROTOCOL").asText()).isEqualTo("SASL_SSL");
    assertThat(env.get("KAFKA_SASL_JAAS_CONFIG").at("/valueFrom/secretKeyRef/name").asText())
        .isEqualTo("quantizer-service");
  }

  /**
   * The KafkaUser a KEDA kafka trigger logs in as: the Secret of its TriggerAuthentication's {@code
   * password}, which must be the same user as its {@code username}, with the cluster CA as {@code
   * ca}.
   */
  static String kedaUser(List<ObjectNode> docs, JsonNode trigger) {
    JsonNode auth =
        Fleet.find(docs, "TriggerAuthentication", trigger.at("/authenticationRef/name").asText());
    Map<String, JsonNode> refs = new TreeMap<>();
    for (String kind : List.of("secretTargetRef", "configMapTargetRef")) {
      auth.at("/spec/" + kind).forEach(r -> refs.put(r.path("parameter").asText(), r));
    }
    JsonNode password = refs.get("password");
    assertThat(password.path("key").asText()).isEqualTo("password");
    JsonNode username = refs.get("username");
    String user =
        Fleet.find(docs, "ConfigMap", username.path("name").asText())
            .at("/data/" + username.path("key").asText())
            .asText();
    assertThat(password.path("name").asText()).as("password of user %s", user).isEqualTo(user);
    assertThat(refs.get("ca").path("name").asText()).isEqualTo(CLUSTER_CA_SECRET);
    assertThat(refs.get("ca").path("key").asText()).isEqualTo("ca.crt");
    return user;
  }

  /**
   * A container's environment: its {@code env} entries (a value as text, a {@code valueFrom} as the
   * entry itself) over the data of the ConfigMaps it takes whole ({@code envFrom}).
   */
  static Map<String, JsonNode> environment(JsonNode container, List<ObjectNode> docs) {
    Map<String, JsonNode> env = new TreeMap<>();
    for (JsonNode from : container.path("envFrom")) {
      if (from.has("configMapRef")) {
        Fleet.find(docs, "ConfigMap", from.at("/configMapRef/name").asText())
            .path("data")
            .fields()
            .forEachRemaining(e -> env.put(e.getKey(), e.getValue()));
      }
    }
    for (JsonNode e : container.path("env")) {
      env.put(
          e.path("name").asText(), e.has("value") ? TextNode.valueOf(e.get("value").asText()) : e);
    }
    return env;
  }

  /** "secret/key" of the Secret item mounted at {@code file} in {@code container}, or null. */
  private static String secretFileAt(JsonNode pod, JsonNode container, String file) {
    for (JsonNode mount : container.path("volumeMounts")) {
      String dir = mount.path("mountPath").asText() + "/";
      if (!file.startsWith(dir)) {
        continue;
      }
      for (JsonNode volume : pod.path("volumes")) {
        if (volume.path("name").equals(mount.path("name")) && volume.has("secret")) {
          for (JsonNode item : volume.at("/secret/items")) {
            if ((dir + item.path("path").asText()).equals(file)) {
              return volume.at("/secret/secretName").asText() + "/" + item.path("key").asText();
            }
          }
        }
      }
    }
    return null;
  }

  private static Set<String> names(List<ObjectNode> docs) {
    Set<String> names = new HashSet<>();
    docs.forEach(d -> names.add(d.at("/metadata/name").asText()));
    return names;
  }
}
