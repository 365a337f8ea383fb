package io.qatfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.messaging.kafka.KafkaClientSettings;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The trigger's producer settings are ones Kafka accepts (its constructor validates them). */
class TriggerCommandTest {

  @Test
  void producerSettingsPassKafkasTimeoutCheck() {
    // Kafka requires delivery.timeout.ms >= linger.ms + request.timeout.ms; with linger left at
    // Kafka 4's default of 5 ms and both timeouts equal, constructing the producer fails.
    try (KafkaProducer<String, byte[]> producer =
        KafkaClientSettings.bootstrap("127.0.0.1:1", "test")
            .producer(
                "trigger",
                new StringSerializer(),
                new ByteArraySerializer(),
                TriggerCommand.producerConfig())) {
      assertThat(producer.metrics()).isNotEmpty();
    }
  }
}
