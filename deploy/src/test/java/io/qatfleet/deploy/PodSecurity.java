package io.qatfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The controls of the {@code restricted} Pod Security Standard (which includes {@code baseline}),
 * as the namespace's {@code pod-security.kubernetes.io/enforce: restricted} admission applies them
 * to a pod template (Kubernetes' "Pod Security Standards", policy version latest): no host
 * namespaces, host paths, host ports, privileged or Windows host-process containers; only the
 * listed volume types, capabilities, sysctls, SELinux types, AppArmor and seccomp profiles; {@code
 * allowPrivilegeEscalation: false}, {@code runAsNonRoot: true}, no {@code runAsUser: 0}, seccomp
 * {@code RuntimeDefault} or {@code Localhost}, and every capability dropped. A setting counts at
 * pod level or, where the standard allows, in every container.
 */
final class PodSecurity {

  private static final Set<String> VOLUME_TYPES =
      Set.of(
          "configMap",
          "csi",
          "downwardAPI",
          "emptyDir",
          "ephemeral",
          "persistentVolumeClaim",
          "projected",
          "secret");

  private static final Set<String> SAFE_SYSCTLS =
      Set.of(
          "kernel.shm_rmid_forced",
          "net.ipv4.ip_local_port_range",
          "net.ipv4.ip_unprivileged_port_start",
          "net.ipv4.tcp_syncookies",
          "net.ipv4.ping_group_range",
          "net.ipv4.ip_local_reserved_ports",
          "net.ipv4.tcp_keepalive_time",
          "net.ipv4.tcp_fin_timeout",
          "net.ipv4.tcp_keepalive_intvl",
          "net.ipv4.tcp_keepalive_probes");

  private static final Set<String> SELINUX_TYPES =
      Set.of("", "container_t", "container_init_t", "container_kvm_t", "container_engine_t");

  private static final Set<String> SECCOMP = Set.of("RuntimeDefault", "Localhost");

  private PodSecurity() {}

  /** The pod template of a workload: Deployment, StatefulSet, DaemonSet, Job or CronJob. */
  static JsonNode podSpec(JsonNode workload) {
    JsonNode spec = workload.path("spec");
    return workload.path("kind").asText().equals("CronJob")
        ? spec.at("/jobTemplate/spec/template/spec")
        : spec.at("/template/spec");
  }

  /**
   * Every way {@code pod} (a pod spec) violates the restricted standard; empty when it meets it.
   */
  static List<String> restrictedViolations(JsonNode pod, String where) {
    List<String> v = new ArrayList<>();
    JsonNode podContext = pod.path("securityContext");
    for (String hostNamespace : List.of("hostNetwork", "hostPID", "hostIPC")) {
      check(!pod.path(hostNamespace).asBoolean(false), where + ": " + hostNamespace, v);
    }
    check(
        !podContext.at("/windowsOptions/hostProcess").asBoolean(false),
        where + ": pod hostProcess",
        v);
    for (JsonNode volume : pod.path("volumes")) {
      volume
          .fieldNames()
          .forEachRemaining(
              f ->
                  check(
                      f.equals("name") || VOLUME_TYPES.contains(f),
                      where + ": volume " + volume.path("name").asText() + " of type " + f,
                      v));
    }
    for (JsonNode sysctl : podContext.path("sysctls")) {
      check(
          SAFE_SYSCTLS.contains(sysctl.path("name").asText()),
          where + ": sysctl " + sysctl.path("name").asText(),
          v);
    }
    seLinuxAndAppArmor(podContext, where + " pod", v);
    check(podContext.path("runAsUser").asLong(1) != 0, where + ": pod runAsUser 0", v);
    String podSeccomp = podContext.at("/seccompProfile/type").asText("");
    check(
        podSeccomp.isEmpty() || SECCOMP.contains(podSeccomp),
        where + ": pod seccomp " + podSeccomp,
        v);
    boolean podNonRoot = podContext.path("runAsNonRoot").asBoolean(false);
    check(!podContext.has("runAsNonRoot") || podNonRoot, where + ": pod runAsNonRoot false", v);
    for (String list : List.of("initContainers", "containers", "ephemeralContainers")) {
      for (JsonNode c : pod.path(list)) {
        container(c, where + " " + c.path("name").asText(), podSeccomp, podNonRoot, v);
      }
    }
    return v;
  }

  private static void container(
      JsonNode c, String where, String podSeccomp, boolean podNonRoot, List<String> v) {
    JsonNode context = c.path("securityContext");
    check(!context.path("privileged").asBoolean(false), where + ": privileged", v);
    check(!context.at("/windowsOptions/hostProcess").asBoolean(false), where + ": hostProcess", v);
    check(context.path("procMount").asText("Default").equals("Default"), where + ": procMount", v);
    for (JsonNode port : c.path("ports")) {
      check(port.path("hostPort").asInt(0) == 0, where + ": hostPort " + port.path("hostPort"), v);
    }
    seLinuxAndAppArmor(context, where, v);
    check(
        context.has("allowPrivilegeEscalation")
            && !context.path("allowPrivilegeEscalation").asBoolean(true),
        where + ": allowPrivilegeEscalation must be false",
        v);
    boolean nonRoot =
        context.has("runAsNonRoot") ? context.get("runAsNonRoot").asBoolean(false) : podNonRoot;
    check(nonRoot, where + ": runAsNonRoot must be true (pod or container)", v);
    check(context.path("runAsUser").asLong(1) != 0, where + ": runAsUser 0", v);
    String seccomp = context.at("/seccompProfile/type").asText(podSeccomp);
    check(
        SECCOMP.contains(seccomp),
        where + ": seccompProfile must be RuntimeDefault or Localhost, was '" + seccomp + "'",
        v);
    boolean dropsAll = false;
    for (JsonNode drop : context.at("/capabilities/drop")) {
      dropsAll |= drop.asText().equals("ALL");
    }
    check(dropsAll, where + ": capabilities must drop ALL", v);
    for (JsonNode add : context.at("/capabilities/add")) {
      check(add.asText().equals("NET_BIND_SERVICE"), where + ": adds capability " + add, v);
    }
  }

  private static void seLinuxAndAppArmor(JsonNode context, String where, List<String> v) {
    JsonNode seLinux = context.path("seLinuxOptions");
    check(SELINUX_TYPES.contains(seLinux.path("type").asText("")), where + ": SELinux type", v);
    check(!seLinux.has("user") && !seLinux.has("role"), where + ": SELinux user/role", v);
    String appArmor = context.at("/appArmorProfile/type").asText("RuntimeDefault");
    check(
        appArmor.equals("RuntimeDefault") || appArmor.equals("Localhost"),
        where + ": AppArmor " + appArmor,
        v);
  }

  private static void check(boolean ok, String violation, List<String> violations) {
    if (!ok) {
      violations.add(violation);
    }
  }
}
