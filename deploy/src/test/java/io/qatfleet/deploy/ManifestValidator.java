package io.qatfleet.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks one manifest. Kinds of the Kubernetes API and of the Prometheus Operator are read into
 * fabric8's typed model; since that model keeps unknown fields in {@code additionalProperties}
 * instead of failing, every such map in the object graph must be empty. Strimzi and KEDA resources
 * (no model on the classpath) are checked structurally: apiVersion, required fields, known keys.
 */
final class ManifestValidator {

  private static final ObjectMapper STRICT =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private static final Map<String, Class<?>> TYPED =
      Map.ofEntries(
          Map.entry("v1/Namespace", Namespace.class),
          Map.entry("v1/ConfigMap", ConfigMap.class),
          Map.entry("v1/Service", Service.class),
          Map.entry("v1/PersistentVolumeClaim", PersistentVolumeClaim.class),
          Map.entry("apps/v1/Deployment", Deployment.class),
          Map.entry("batch/v1/Job", Job.class),
          Map.entry("batch/v1/CronJob", CronJob.class),
          Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class),
          Map.entry("monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class),
          Map.entry("monitoring.coreos.com/v1/PodMonitor", PodMonitor.class),
          Map.entry("monitoring.coreos.com/v1/PrometheusRule", PrometheusRule.class));

  private ManifestValidator() {}

  /** The problems of {@code doc}; empty when it is valid. */
  static List<String> problems(JsonNode doc) {
    List<String> problems = new ArrayList<>();
    String type = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
    String where = type + " " + doc.path("metadata").path("name").asText("<no name>");
    if (!doc.path("metadata").path("name").isTextual()) {
      problems.add(where + ": metadata.name missing");
    }
    Class<?> cls = TYPED.get(type);
    try {
      if (cls != null) {
        Object typed = STRICT.treeToValue(doc, cls);
        unknownFields(typed, where, problems);
      } else {
        switch (type) {
          case "kafka.strimzi.io/v1beta2/Kafka" -> kafka(doc, where, problems);
          case "kafka.strimzi.io/v1beta2/KafkaNodePool" -> nodePool(doc, where, problems);
          case "kafka.strimzi.io/v1beta2/KafkaTopic" -> topic(doc, where, problems);
          case "keda.sh/v1alpha1/ScaledObject" -> scaledObject(doc, where, problems);
          default -> problems.add(where + ": unknown apiVersion/kind");
        }
      }
    } catch (Exception e) {
      problems.add(where + ": " + e.getMessage());
    }
    return problems;
  }

  private static void unknownFields(Object o, String path, List<String> problems) throws Exception {
    if (o == null) {
      return;
    }
    if (o instanceof Collection<?> c) {
      for (Object item : c) {
        unknownFields(item, path + "[]", problems);
      }
      return;
    }
    if (o instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        unknownFields(e.getValue(), path + "." + e.getKey(), problems);
      }
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.")) {
      return;
    }
    for (Method getter : o.getClass().getMethods()) {
      if (getter.getParameterCount() != 0
          || !getter.getName().startsWith("get")
          || getter.getDeclaringClass() == Object.class) {
        continue;
      }
      Object value = getter.invoke(o);
      if (getter.getName().equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
          problems.add(path + ": unknown field(s) " + extra.keySet());
        }
      } else {
        unknownFields(value, path + "." + getter.getName().substring(3), problems);
      }
    }
  }

  private static void keys(JsonNode node, Set<String> allowed, String where, List<String> p) {
    node.fieldNames()
        .forEachRemaining(
            f -> {
              if (!allowed.contains(f)) {
                p.add(where + ": unknown field " + f);
              }
            });
  }

  private static void require(boolean ok, String message, List<String> p) {
    if (!ok) {
      p.add(message);
    }
  }

  private static void kafka(JsonNode doc, String where, List<String> p) {
    JsonNode spec = doc.path("spec");
    keys(spec, Set.of("kafka", "entityOperator", "kafkaExporter", "cruiseControl"), where, p);
    require(!spec.has("zookeeper"), where + ": KRaft clusters have no zookeeper", p);
    keys(
        spec.path("kafka"),
        Set.of("version", "metadataVersion", "listeners", "config", "authorization", "template"),
        where + " spec.kafka",
        p);
    JsonNode listeners = spec.path("kafka").path("listeners");
    require(listeners.isArray() && !listeners.isEmpty(), where + ": no listeners", p);
    for (JsonNode l : listeners) {
      require(l.path("name").isTextual(), where + ": listener without name", p);
      require(l.path("port").isInt(), where + ": listener without port", p);
      require(l.path("type").isTextual(), where + ": listener without type", p);
      require(l.path("tls").isBoolean(), where + ": listener without tls", p);
    }
    require(
        spec.path("entityOperator").has("topicOperator"),
        where + ": no topic operator for the KafkaTopics",
        p);
    keys(spec.path("kafkaExporter"), Set.of("groupRegex", "topicRegex"), where, p);
  }

  private static void nodePool(JsonNode doc, String where, List<String> p) {
    JsonNode spec = doc.path("spec");
    keys(spec, Set.of("replicas", "roles", "storage", "resources", "template"), where, p);
    require(
        doc.path("metadata").path("labels").path("strimzi.io/cluster").isTextual(),
        where + ": label strimzi.io/cluster missing",
        p);
    require(spec.path("replicas").asInt(0) >= 1, where + ": replicas must be >= 1", p);
    for (JsonNode role : spec.path("roles")) {
      require(
          Set.of("controller", "broker").contains(role.asText()), where + ": bad role " + role, p);
    }
    require(spec.path("storage").path("type").isTextual(), where + ": storage.type missing", p);
  }

  private static void topic(JsonNode doc, String where, List<String> p) {
    JsonNode spec = doc.path("spec");
    keys(spec, Set.of("topicName", "partitions", "replicas", "config"), where, p);
    require(
        doc.path("metadata").path("labels").path("strimzi.io/cluster").isTextual(),
        where + ": label strimzi.io/cluster missing",
        p);
    require(spec.path("partitions").asInt(0) >= 1, where + ": partitions must be >= 1", p);
  }

  private static void scaledObject(JsonNode doc, String where, List<String> p) {
    JsonNode spec = doc.path("spec");
    keys(
        spec,
        Set.of(
            "scaleTargetRef",
            "minReplicaCount",
            "maxReplicaCount",
            "pollingInterval",
            "cooldownPeriod",
            "advanced",
            "triggers"),
        where,
        p);
    require(spec.path("scaleTargetRef").path("name").isTextual(), where + ": no scaleTargetRef", p);
    require(spec.path("triggers").size() > 0, where + ": no triggers", p);
    for (JsonNode t : spec.path("triggers")) {
      require(t.path("type").isTextual(), where + ": trigger without type", p);
      if (t.path("type").asText().equals("kafka")) {
        for (String key : List.of("bootstrapServers", "consumerGroup", "topic", "lagThreshold")) {
          require(
              t.path("metadata").path(key).isTextual(), where + ": kafka trigger lacks " + key, p);
        }
      }
    }
  }
}
