package io.qatfleet.messaging.testing;

import io.qatfleet.messaging.broker.EmbeddedKafka;
import io.qatfleet.messaging.integrity.EventSeal;
import io.qatfleet.messaging.security.BrokerSecurity;
import io.qatfleet.messaging.security.FleetPrincipal;
import io.qatfleet.messaging.security.FleetUsers;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;

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

  /**
   * Sends {@code value} to {@code topic} as {@code principal} and waits for the broker's answer.
   *
   * @throws ExecutionException with the broker's refusal (e.g. {@code TopicAuthorizationException})
   *     as its cause
   */
  public static void send(FleetPrincipal principal, String topic, String key, byte[] value)
      throws ExecutionException, InterruptedException, TimeoutException {
    send(principal, topic, key, value, null);
  }

  /**
   * {@link #send(FleetPrincipal, String, String, byte[])}, the record sealed with the fleet's event
   * key of the running test ({@code qat.event-key}) as a fleet service would seal it.
   */
  public static void sendSealed(FleetPrincipal principal, String topic, String key, byte[] value)
      throws ExecutionException, InterruptedException, TimeoutException {
    String eventKey = ConfigProvider.getConfig().getValue("qat.event-key", String.class);
    send(principal, topic, key, value, EventSeal.fromBase64("qat.event-key", eventKey));
  }

  private static void send(
      FleetPrincipal principal, String topic, String key, byte[] value, EventSeal seal)
      throws ExecutionException, InterruptedException, TimeoutException {
    Map<String, Object> config = new HashMap<>(clientConfig(principal));
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
    ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, value);
    if (seal != null) {
      seal.sealInto(record.headers(), key, value);
    }
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
      producer.send(record).get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * The first record of {@code topic} (read from its start as {@code principal}, without a group)
   * that {@code wanted} accepts, within {@code timeout}.
   */
  public static Optional<ConsumerRecord<String, byte[]>> awaitRecord(
      FleetPrincipal principal,
      String topic,
      Predicate<ConsumerRecord<String, byte[]>> wanted,
      Duration timeout) {
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            clientConfig(principal), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (wanted.test(r)) {
            return Optional.of(r);
          }
        }
      }
    }
    return Optional.empty();
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
