package io.qatfleet.messaging.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.SampleEvents;
import io.qatfleet.messaging.testing.KafkaBrokerExtension;
import io.qatfleet.messaging.topic.TopicAdmin;
import io.qatfleet.messaging.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a consumer of an event topic does with what it reads, on a real broker: valid events are
 * decoded, everything else reaches {@code qat.dlq} as a dead letter with the original bytes.
 */
@ExtendWith(KafkaBrokerExtension.class)
class DeadLetterRoutingIT {

  private final EventCodec codec = new EventCodec();

  @Test
  void routesUndecodableRecordsToDlqWithOriginalBytes() throws Exception {
    try (Admin admin = Admin.create(KafkaBrokerExtension.clientConfig())) {
      TopicAdmin.ensureTopics(admin);
    }
    QatEvent valid = SampleEvents.all().get(0);
    String newer =
        new String(codec.encode(valid), StandardCharsets.UTF_8)
            .replace("\"schemaVersion\":1", "\"schemaVersion\":2");
    byte[] garbage = {'{', 'n', 'o', (byte) 0xff};
    Map<String, byte[]> sent = new java.util.LinkedHashMap<>();
    sent.put("good", codec.encode(valid));
    sent.put("newer", newer.getBytes(StandardCharsets.UTF_8));
    sent.put("garbage", garbage);

    String topic = Topics.JOBS;
    try (KafkaProducer<String, byte[]> producer = producer()) {
      for (Map.Entry<String, byte[]> e : sent.entrySet()) {
        producer.send(new ProducerRecord<>(topic, 0, e.getKey(), e.getValue())).get();
      }
    }

    List<QatEvent> decoded = new ArrayList<>();
    try (KafkaProducer<String, byte[]> dlq = producer()) {
      for (ConsumerRecord<String, byte[]> record : readPartition(topic, 3)) {
        try {
          decoded.add(codec.decode(record.value()));
        } catch (EventDecodingException e) {
          DeadLetter letter = codec.toDeadLetter(record, e);
          dlq.send(new ProducerRecord<>(Topics.DLQ, record.key(), codec.encode(letter))).get();
        }
      }
    }

    assertThat(decoded).containsExactly(valid);
    List<DeadLetter> letters = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> record : readPartition(Topics.DLQ, 2)) {
      letters.add((DeadLetter) codec.decode(record.value()));
    }
    assertThat(letters)
        .extracting(DeadLetter::originalKey, DeadLetter::errorType, DeadLetter::sourceTopic)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("newer", "UNKNOWN_SCHEMA_VERSION", topic),
            org.assertj.core.groups.Tuple.tuple("garbage", "MALFORMED_JSON", topic));
    assertThat(letters.get(0).originalBytes()).isEqualTo(sent.get("newer"));
    assertThat(letters.get(0).jobId()).isEqualTo(valid.jobId());
    assertThat(letters.get(1).originalBytes()).isEqualTo(garbage);
  }

  private static KafkaProducer<String, byte[]> producer() {
    return new KafkaProducer<>(
        KafkaBrokerExtension.clientConfig(), new StringSerializer(), new ByteArraySerializer());
  }

  /** The last {@code count} records of partition 0 of {@code topic}. */
  private static List<ConsumerRecord<String, byte[]>> readPartition(String topic, int count) {
    Map<String, Object> config = new HashMap<>(KafkaBrokerExtension.clientConfig());
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      consumer.seek(tp, Math.max(0, end - count));
      while (consumer.position(tp) < end) {
        out.addAll(consumer.poll(Duration.ofMillis(200)).records(tp));
      }
    }
    return out;
  }
}
