package io.qatfleet.messaging.security;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;

/**
 * Authentication and authorization for a broker the fleet starts itself (tests, a secured local
 * run): its client listener takes SASL (SCRAM-SHA-512 for the fleet's principals, PLAIN for the
 * administrator that provisions them, both over {@code SASL_PLAINTEXT} on loopback), and KRaft's
 * {@code StandardAuthorizer} denies whatever no ACL allows. The controller listener stays
 * plaintext, on loopback, with its principal ({@code ANONYMOUS}) a super user, as the broker and
 * controller of one node talk over it.
 *
 * @param adminPassword the PLAIN password of {@value #ADMIN}, the only super user on the client
 *     listener
 */
public record BrokerSecurity(String adminPassword) {

  /** The administrator principal that creates users, ACLs and topics. */
  public static final String ADMIN = "admin";

  /** The mechanism the fleet's principals authenticate with. */
  public static final String SCRAM = "SCRAM-SHA-512";

  private static final String PLAIN_LOGIN =
      "org.apache.kafka.common.security.plain.PlainLoginModule";
  private static final String SCRAM_LOGIN =
      "org.apache.kafka.common.security.scram.ScramLoginModule";

  public BrokerSecurity {
    if (adminPassword == null || adminPassword.isBlank() || adminPassword.contains("\"")) {
      throw new IllegalArgumentException("adminPassword must be non-blank and without quotes");
    }
  }

  /** The broker properties that turn authentication and the authorizer on. */
  public void applyTo(Properties broker) {
    broker.put("listener.security.protocol.map", "PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
    broker.put("sasl.enabled.mechanisms", "PLAIN," + SCRAM);
    broker.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
    broker.put(
        "listener.name.plaintext.plain.sasl.jaas.config",
        String.format(
            "%s required username=\"%s\" password=\"%s\" user_%s=\"%s\";",
            PLAIN_LOGIN, ADMIN, adminPassword, ADMIN, adminPassword));
    broker.put(
        "listener.name.plaintext.scram-sha-512.sasl.jaas.config", SCRAM_LOGIN + " required;");
    broker.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    broker.put("super.users", "User:" + ADMIN + ";User:ANONYMOUS");
    broker.put("allow.everyone.if.no.acl.found", "false");
  }

  /** Client settings of the administrator (PLAIN). */
  public Map<String, Object> adminClient(String bootstrapServers) {
    Map<String, Object> config = new HashMap<>();
    config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
    config.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
    config.put(
        SaslConfigs.SASL_JAAS_CONFIG,
        String.format(
            "%s required username=\"%s\" password=\"%s\";", PLAIN_LOGIN, ADMIN, adminPassword));
    return config;
  }

  /** Client settings of a fleet principal (SCRAM-SHA-512) with {@code password}. */
  public static Map<String, Object> scramClient(
      String bootstrapServers, String user, String password) {
    Map<String, Object> config = new HashMap<>();
    config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
    config.put(SaslConfigs.SASL_MECHANISM, SCRAM);
    config.put(
        SaslConfigs.SASL_JAAS_CONFIG,
        String.format("%s required username=\"%s\" password=\"%s\";", SCRAM_LOGIN, user, password));
    return config;
  }
}
