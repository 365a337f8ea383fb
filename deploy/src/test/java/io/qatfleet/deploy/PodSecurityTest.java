package io.qatfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The namespace enforces the restricted Pod Security Standard, and every workload deploy/ creates
 * there (the overlays' and the examples') meets it, so that admission admits all of them.
 */
class PodSecurityTest {

  private static final Set<String> WORKLOADS =
      Set.of("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod");

  static List<ObjectNode> workloads(List<ObjectNode> docs) {
    return docs.stream().filter(d -> WORKLOADS.contains(d.path("kind").asText())).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void namespaceEnforcesRestricted(String overlay) {
    JsonNode labels =
        Fleet.find(Fleet.overlay(overlay), "Namespace", "qat-fleet").at("/metadata/labels");
    assertThat(labels.path("pod-security.kubernetes.io/enforce").asText()).isEqualTo("restricted");
    assertThat(labels.path("pod-security.kubernetes.io/enforce-version").asText("latest"))
        .isEqualTo("latest");
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void everyWorkloadMeetsRestricted(String overlay) {
    List<ObjectNode> workloads = workloads(Fleet.withExamples(Fleet.overlay(overlay)));
    assertThat(workloads.stream().map(d -> d.path("kind").asText()))
        .contains("Deployment", "Job", "CronJob");
    List<String> violations = new ArrayList<>();
    for (ObjectNode w : workloads) {
      violations.addAll(PodSecurity.restrictedViolations(PodSecurity.podSpec(w), Yaml.id(w)));
    }
    assertThat(violations).isEmpty();
  }

  @Test
  void flagsRootPrivilegeEscalationAndHostPath() {
    ObjectNode job = job();
    ObjectNode pod = (ObjectNode) PodSecurity.podSpec(job);
    ((ObjectNode) pod.path("securityContext")).put("runAsUser", 0);
    ((ObjectNode) pod.at("/containers/0/securityContext")).put("allowPrivilegeEscalation", true);
    pod.withArray("volumes").addObject().put("name", "host").putObject("hostPath").put("path", "/");
    assertThat(PodSecurity.restrictedViolations(pod, "job"))
        .anyMatch(v -> v.contains("runAsUser 0"))
        .anyMatch(v -> v.contains("allowPrivilegeEscalation"))
        .anyMatch(v -> v.contains("hostPath"));
  }

  @Test
  void flagsMissingSeccompAndCapabilities() {
    ObjectNode pod = (ObjectNode) PodSecurity.podSpec(job());
    ((ObjectNode) pod.path("securityContext")).remove("seccompProfile");
    ((ObjectNode) pod.at("/containers/0/securityContext")).remove("capabilities");
    assertThat(PodSecurity.restrictedViolations(pod, "job"))
        .anyMatch(v -> v.contains("seccompProfile"))
        .anyMatch(v -> v.contains("drop ALL"));
  }

  @Test
  void flagsPodWithoutRunAsNonRoot() {
    ObjectNode pod = (ObjectNode) PodSecurity.podSpec(job());
    ((ObjectNode) pod.path("securityContext")).remove("runAsNonRoot");
    assertThat(PodSecurity.restrictedViolations(pod, "job"))
        .anyMatch(v -> v.contains("runAsNonRoot"));
  }

  /** A copy of the example Job, which meets the standard. */
  private static ObjectNode job() {
    ObjectNode job =
        Yaml.documents(Yaml.DEPLOY.resolve("examples/load-datasets-job.yaml")).get(0).deepCopy();
    assertThat(PodSecurity.restrictedViolations(PodSecurity.podSpec(job), "job")).isEmpty();
    return job;
  }
}
