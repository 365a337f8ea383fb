package io.qatfleet.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
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
 * fabric8's typed model, Strimzi's ({@code kafka.strimzi.io/v1}) into Strimzi's own model classes
 * ({@code io.strimzi:api}); since both models keep unknown fields in {@code additionalProperties}
 * instead of failing, every such map in the object graph must be empty. Strimzi resources are also
 * validated against the {@code openAPIV3Schema} of Strimzi's CRDs ({@link CrdSchema}: required
 * fields, enums, minimums, patterns). KEDA resources (no model on the classpath) are checked
 * structurally: apiVersion, required fields, known keys.
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

  /**
   * Strimzi's model classes, by kind, loaded by name: they are Java 21 class files, which javac 17
   * cannot read but the tests' JVM can.
   */
  private static final Map<String, String> STRIMZI =
      Map.of(
          "Kafka", "io.strimzi.api.kafka.model.kafka.Kafka",
          "KafkaNodePool", "io.strimzi.api.kafka.model.nodepool.KafkaNodePool",
          "KafkaTopic", "io.strimzi.api.kafka.model.topic.KafkaTopic",
          "KafkaUser", "io.strimzi.api.kafka.model.user.KafkaUser");

  private static final String STRIMZI_GROUP = "kafka.strimzi.io";

  /** The kafka scaler's metadata keys (KEDA 2.13 and later). */
  private static final Set<String> KAFKA_TRIGGER_METADATA =
      Set.of(
          "bootstrapServers",
          "consumerGroup",
          "topic",
          "lagThreshold",
          "activationLagThreshold",
          "offsetResetPolicy",
          "allowIdleConsumers",
          "scaleToZeroOnInvalidOffset",
          "excludePersistentLag",
          "limitToPartitionsWithLag",
          "version",
          "partitionLimitation",
          "sasl",
          "tls",
          "unsafeSsl");

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
      } else if (doc.path("apiVersion").asText().startsWith(STRIMZI_GROUP + "/")
          && STRIMZI.containsKey(doc.path("kind").asText())) {
        strimzi(doc, where, problems);
      } else {
        switch (type) {
          case "keda.sh/v1alpha1/ScaledObject" -> scaledObject(doc, where, problems);
          case "keda.sh/v1alpha1/TriggerAuthentication" ->
              triggerAuthentication(doc, where, problems);
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
    if (!o.getClass().getName().startsWith("io.fabric8.")
        && !o.getClass().getName().startsWith("io.strimzi.")) {
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

  /**
   * A Strimzi resource: Strimzi's model class for its kind must be of the doc's apiVersion (only
   * {@code v1} is served from Strimzi 1.0 on) and read it without unknown fields; the CRD's schema
   * must accept it; and what neither checks: the cluster label the operators select by, KRaft.
   */
  private static void strimzi(JsonNode doc, String where, List<String> p) throws Exception {
    String kind = doc.path("kind").asText();
    Class<?> cls = Class.forName(STRIMZI.get(kind));
    String served = HasMetadata.getApiVersion(cls);
    if (!served.equals(doc.path("apiVersion").asText())) {
      p.add(
          where
              + ": Strimzi's "
              + kind
              + " is "
              + served
              + ", not "
              + doc.path("apiVersion").asText());
      return;
    }
    unknownFields(STRICT.treeToValue(doc, cls), where, p);
    p.addAll(CrdSchema.problems(doc, where));
    if (kind.equals("Kafka")) {
      require(!doc.path("spec").has("zookeeper"), where + ": KRaft clusters have no zookeeper", p);
    } else {
      require(
          doc.path("metadata").path("labels").path("strimzi.io/cluster").isTextual(),
          where + ": label strimzi.io/cluster missing",
          p);
    }
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
      keys(t, Set.of("type", "name", "metadata", "authenticationRef", "metricType"), where, p);
      require(t.path("type").isTextual(), where + ": trigger without type", p);
      if (t.path("type").asText().equals("kafka")) {
        for (String key : List.of("bootstrapServers", "consumerGroup", "topic", "lagThreshold")) {
          require(
              t.path("metadata").path(key).isTextual(), where + ": kafka trigger lacks " + key, p);
        }
        keys(t.path("metadata"), KAFKA_TRIGGER_METADATA, where + " kafka trigger", p);
      }
      if (t.has("authenticationRef")) {
        keys(t.get("authenticationRef"), Set.of("name", "kind"), where, p);
        require(
            t.at("/authenticationRef/name").isTextual(),
            where + ": authenticationRef without name",
            p);
      }
    }
  }

  private static void triggerAuthentication(JsonNode doc, String where, List<String> p) {
    JsonNode spec = doc.path("spec");
    keys(spec, Set.of("secretTargetRef", "configMapTargetRef", "env"), where, p);
    for (String refs : List.of("secretTargetRef", "configMapTargetRef")) {
      for (JsonNode ref : spec.path(refs)) {
        keys(ref, Set.of("parameter", "name", "key"), where + " " + refs, p);
        for (String key : List.of("parameter", "name", "key")) {
          require(ref.path(key).isTextual(), where + ": " + refs + " entry lacks " + key, p);
        }
      }
    }
  }
}
