package io.qatfleet.trainer;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.event.QatEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;

/** What tests send to and read from the broker the service under test uses. */
final class TopicProbe {

  static final EventCodec CODEC = new EventCodec();

  private TopicProbe() {}

  static String bootstrapServers() {
    return ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
  }

  static void send(String topic, String key, byte[] value) {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
      producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot send to " + topic, e);
    }
  }

  static void send(String topic, QatEvent event) {
    send(topic, event.jobId(), CODEC.encode(event));
  }

  /**
   * The events of {@code type} on {@code topic} (from its start) that match, once at least {@code
   * atLeast} of them arrived; fails after {@code timeout}.
   */
  static <T extends QatEvent> List<T> await(
      String topic, Class<T> type, Predicate<T> match, int atLeast, Duration timeout) {
    List<T> found = read(topic, type, match, atLeast, timeout);
    if (found.size() < atLeast) {
      throw new AssertionError(
          "expected at least "
              + atLeast
              + " matching "
              + type.getSimpleName()
              + " on "
              + topic
              + " within "
              + timeout
              + ", found "
              + found);
    }
    return found;
  }

  /** Every matching event of {@code type} on {@code topic} that arrived within {@code window}. */
  static <T extends QatEvent> List<T> readAll(
      String topic, Class<T> type, Predicate<T> match, Duration window) {
    return read(topic, type, match, Integer.MAX_VALUE, window);
  }

  private static <T extends QatEvent> List<T> read(
      String topic, Class<T> type, Predicate<T> match, int enough, Duration timeout) {
    List<T> found = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                4 * 1024 * 1024))) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (found.size() < enough && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          try {
            QatEvent event = CODEC.decode(record.value());
            if (type.isInstance(event) && match.test(type.cast(event))) {
              found.add(type.cast(event));
            }
          } catch (EventDecodingException notAnEvent) {
            // Tests put undecodable records on purpose; they are not what is looked for here.
          }
        }
      }
    }
    return found;
  }
}
