package io.qatfleet.messaging.testing;

import io.qatfleet.messaging.broker.EmbeddedKafka;
import io.qatfleet.messaging.security.BrokerSecurity;
import io.qatfleet.messaging.security.FleetPrincipal;
import io.qatfleet.messaging.security.FleetUsers;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.SaslConfigs;

/**
 * A broker that requires authentication and authorizes by ACL, for {@code @QuarkusTest}s that run a
 * service as its own principal: {@code @QuarkusTestResource(value =
 * SecuredKafkaBrokerResource.class, initArgs = @ResourceArg(name = "principal", value =
 * "validator"), restrictToAnnotatedClass = true)}. The broker starts once per JVM, provisioned with
 * {@link FleetUsers}; the service gets that principal's SCRAM credentials through its {@code
 * kafka.*} settings (so every client it builds must carry them) and does not create topics.
 */
public final class SecuredKafkaBrokerResource implements QuarkusTestResourceLifecycleManager {

  private static final Map<FleetPrincipal, String> PASSWORDS = new EnumMap<>(FleetPrincipal.class);
  private static EmbeddedKafka broker;

  private FleetPrincipal principal = FleetPrincipal.VALIDATOR;

  /** The secured broker of this JVM, started and provisioned on first use. */
  public static synchronized EmbeddedKafka broker() {
    if (broker == null) {
      for (FleetPrincipal p : FleetPrincipal.values()) {
        PASSWORDS.put(p, UUID.randomUUID().toString());
      }
      broker = EmbeddedKafka.start(0, null, new BrokerSecurity(UUID.randomUUID().toString()));
      try (Admin admin = Admin.create(broker.adminConfig())) {
        FleetUsers.provision(admin, PASSWORDS);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(broker::close));
    }
    return broker;
  }

  /** Client settings of {@code principal} on the secured broker. */
  public static Map<String, Object> clientConfig(FleetPrincipal principal) {
    EmbeddedKafka kafka = broker();
    return BrokerSecurity.scramClient(
        kafka.bootstrapServers(), principal.userName(), PASSWORDS.get(principal));
  }

  @Override
  public void init(Map<String, String> initArgs) {
    String name = initArgs.get("principal");
    if (name != null) {
      principal = FleetPrincipal.valueOf(name.toUpperCase(Locale.ROOT));
    }
  }

  @Override
  public Map<String, String> start() {
    Map<String, Object> client = clientConfig(principal);
    return Map.of(
        "kafka.bootstrap.servers",
        broker().bootstrapServers(),
        "kafka.security.protocol",
        "SASL_PLAINTEXT",
        "kafka.sasl.mechanism",
        BrokerSecurity.SCRAM,
        "kafka.sasl.jaas.config",
        client.get(SaslConfigs.SASL_JAAS_CONFIG).toString(),
        "qat.create-topics",
        "false");
  }

  @Override
  public void stop() {
    // The broker lives until the JVM exits: other secured test classes reuse it.
  }
}
