package io.qatfleet.validator;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.testing.ClientConfigRecorder;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every Kafka client the validator opens — the topic admin at start-up, the registry reader, the
 * checkpoint store's writer and readers, the channels' consumer and producers — carries the
 * service's {@code kafka.*} connection settings. The settings here are harmless on the plaintext
 * test broker but would be required on a secured one: an explicit {@code security.protocol}, a
 * marker value of {@code metadata.max.age.ms}, and a metric reporter that records each client's
 * configuration. A client built with only {@code bootstrap.servers} would be alive in Kafka's JMX
 * registry without having been recorded, and fail the last assertion.
 */
@QuarkusTest
@TestProfile(EveryKafkaClientTest.MarkedSettings.class)
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
class EveryKafkaClientTest {

  static final String MARKER = "123457";

  /** The service's Kafka settings with the marks every client must carry. */
  public static final class MarkedSettings implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "kafka.security.protocol",
          "PLAINTEXT",
          "kafka.metadata.max.age.ms",
          MARKER,
          "kafka.metric.reporters",
          ClientConfigRecorder.class.getName());
    }
  }

  @Inject CheckpointStore store;

  @Test
  void everyClientTheServiceOpensCarriesItsKafkaSettings() {
    CheckpointRef ref = store.put(new byte[] {1, 2, 3});
    assertThat(store.get(ref, Duration.ofSeconds(30))).containsExactly(1, 2, 3);
    Set<String> live = ClientConfigRecorder.liveClientIds();

    assertThat(ClientConfigRecorder.configs())
        .allSatisfy(
            config -> {
              assertThat(String.valueOf(config.get("security.protocol"))).isEqualTo("PLAINTEXT");
              assertThat(String.valueOf(config.get("metadata.max.age.ms"))).isEqualTo(MARKER);
            });
    Set<String> recorded = ClientConfigRecorder.clientIds();
    for (String role :
        new String[] {"topics", "registry", "checkpoint-writer", "checkpoint-reader"}) {
      assertThat(recorded).anyMatch(id -> id.startsWith("validator-service-" + role + "-"));
    }
    assertThat(recorded).anyMatch(id -> id.contains("validate-in"));
    assertThat(recorded).anyMatch(id -> id.contains("status-out"));
    assertThat(recorded).anyMatch(id -> id.contains("dlq-out"));
    assertThat(recorded).containsAll(live);
  }
}
