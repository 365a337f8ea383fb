package io.qatfleet.messaging.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which settings reach a hand-built client, and which stay with the channels. */
class KafkaClientSettingsTest {
  @TempDir Path dir;

  /** What Quarkus' default-kafka-broker map holds for a service on a SASL_SSL cluster. */
  private static Map<String, Object> serviceConfig() {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", "kafka:9093");
    config.put("security.protocol", "SASL_SSL");
    config.put("sasl.mechanism", "SCRAM-SHA-512");
    config.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule x;");
    config.put("ssl.truststore.location", "/etc/kafka/ca.p12");
    config.put("ssl.truststore.password", "secret");
    config.put("request.timeout.ms", "20000");
    config.put("group.id", "trainer-service");
    config.put("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    config.put("commit-strategy", "throttled");
    config.put("acks", "all");
    config.put("client.id", "channel-client");
    return config;
  }

  @Test
  void keepsConnectionAndSecuritySettingsAndDropsChannelOnlyOnes() {
    Map<String, Object> kept = KafkaClientSettings.of(serviceConfig(), "svc").connection();
    assertThat(kept)
        .containsEntry("bootstrap.servers", "kafka:9093")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsKey("sasl.jaas.config")
        .containsEntry("ssl.truststore.location", "/etc/kafka/ca.p12")
        .containsEntry("request.timeout.ms", "20000")
        .doesNotContainKeys("group.id", "key.deserializer", "commit-strategy", "acks", "client.id");
  }

  @Test
  void everyClientConfigCarriesTheSecuritySettingsAndItsOwnClientId() {
    KafkaClientSettings settings = KafkaClientSettings.of(serviceConfig(), "svc");
    Map<String, Object> a = settings.clientConfig("registry", Map.of());
    Map<String, Object> b = settings.clientConfig("registry", Map.of("linger.ms", 0));
    assertThat(a).containsEntry("security.protocol", "SASL_SSL").containsKey("sasl.jaas.config");
    assertThat((String) a.get("client.id")).startsWith("svc-registry-");
    assertThat(a.get("client.id")).isNotEqualTo(b.get("client.id"));
    assertThat(b).containsEntry("linger.ms", 0);
  }

  @Test
  void readsAClientPropertiesFileBesideTheBootstrapOption() throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, "security.protocol=SSL\nssl.truststore.location=/ca.p12\n");
    KafkaClientSettings settings = KafkaClientSettings.fromFile("b:9093", file, "qat-cli");
    assertThat(settings.connection())
        .containsEntry("bootstrap.servers", "b:9093")
        .containsEntry("security.protocol", "SSL")
        .containsEntry("ssl.truststore.location", "/ca.p12");
  }

  @Test
  void hidesSecretsWhenPrinted() {
    String shown = KafkaClientSettings.of(serviceConfig(), "svc").toString();
    assertThat(shown).doesNotContain("secret").doesNotContain("ScramLoginModule");
    assertThat(shown).contains("security.protocol=SASL_SSL");
  }

  @Test
  void rejectsSettingsWithoutBootstrapServers() {
    assertThatThrownBy(() -> KafkaClientSettings.of(Map.of("acks", "all"), "svc"))
        .hasMessageContaining("bootstrap.servers");
  }

  @Test
  void durableProducerSettingsAreAcceptedByKafka() {
    // Constructing a producer validates its configuration; it connects only on first use.
    try (KafkaProducer<String, String> producer =
        KafkaClientSettings.bootstrap("127.0.0.1:1", "t")
            .producer(
                "check",
                new StringSerializer(),
                new StringSerializer(),
                KafkaClientSettings.durableProducer())) {
      assertThat(producer.metrics()).isNotEmpty();
    }
  }
}
