package io.qatfleet.messaging.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.messaging.broker.EmbeddedKafka;
import io.qatfleet.messaging.topic.Topics;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The broker as an outside client meets it once authentication and the authorizer are on: who may
 * write the registry {@code qat.models} (only the validator), and that the fleet's principals can
 * do their own work. A real KRaft broker with SASL and {@code StandardAuthorizer}, provisioned by
 * {@link FleetUsers} from {@link FleetPrincipal}.
 */
class SecuredBrokerIT {

  private static final Map<FleetPrincipal, String> PASSWORDS = new EnumMap<>(FleetPrincipal.class);
  private static EmbeddedKafka broker;

  @BeforeAll
  static void startSecuredBroker() {
    for (FleetPrincipal p : FleetPrincipal.values()) {
      PASSWORDS.put(p, "pw-" + p.userName() + "-" + System.nanoTime());
    }
    broker = EmbeddedKafka.start(0, null, new BrokerSecurity("admin-secret"));
    try (Admin admin = Admin.create(broker.adminConfig())) {
      FleetUsers.provision(admin, PASSWORDS);
    }
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  private static Map<String, Object> as(FleetPrincipal principal) {
    return BrokerSecurity.scramClient(
        broker.bootstrapServers(), principal.userName(), PASSWORDS.get(principal));
  }

  private static void produce(Map<String, Object> client, String topic) throws Exception {
    Map<String, Object> config = new HashMap<>(client);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, "prod-model", "{}")).get(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void anonymousClientCannotProduceToTheRegistry() {
    Map<String, Object> anonymous = Map.of("bootstrap.servers", broker.bootstrapServers());
    // A plaintext client on the SASL listener never gets through the handshake.
    assertThatThrownBy(() -> produce(anonymous, Topics.MODELS)).isInstanceOf(Exception.class);
  }

  @Test
  void wrongPasswordIsRefusedByTheBroker() {
    Map<String, Object> impostor =
        BrokerSecurity.scramClient(broker.bootstrapServers(), "validator", "guessed");
    assertThatThrownBy(() -> produce(impostor, Topics.MODELS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(SaslAuthenticationException.class);
  }

  @Test
  void nonValidatorPrincipalsCannotWriteTheRegistryOrTheDeployTopic() {
    for (FleetPrincipal p :
        List.of(FleetPrincipal.TRAINER, FleetPrincipal.QUANTIZER, FleetPrincipal.TRIGGER)) {
      for (String topic : List.of(Topics.MODELS, Topics.DEPLOY)) {
        assertThatThrownBy(() -> produce(as(p), topic))
            .as(p + " writing " + topic)
            .isInstanceOf(ExecutionException.class)
            .hasCauseInstanceOf(TopicAuthorizationException.class);
      }
    }
  }

  @Test
  void triggerPrincipalMayOnlyAskForRetraining() throws Exception {
    produce(as(FleetPrincipal.TRIGGER), Topics.TRIGGERS);
    assertThatThrownBy(() -> produce(as(FleetPrincipal.TRIGGER), Topics.JOBS))
        .hasCauseInstanceOf(TopicAuthorizationException.class);
  }

  @Test
  void validatorWritesTheRegistryAndTheTrainerReadsIt() throws Exception {
    produce(as(FleetPrincipal.VALIDATOR), Topics.MODELS);
    Map<String, Object> config = new HashMap<>(as(FleetPrincipal.TRAINER));
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(Topics.MODELS, Duration.ofSeconds(10)).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      boolean seen = false;
      while (!seen && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          seen |= "prod-model".equals(r.key());
        }
      }
      assertThat(seen).as("trainer reads the validator's registry entry").isTrue();
    }
  }

  @Test
  void quantizerCannotReadAnotherStagesInput() {
    Map<String, Object> config = new HashMap<>(as(FleetPrincipal.QUANTIZER));
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "quantizer-service");
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(Topics.TRAIN));
      assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(10)))
          .isInstanceOf(TopicAuthorizationException.class);
    }
  }
}
