package io.qatfleet.validator;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.event.QatEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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

/**
 * The test's side of the broker: sends records to {@code qat.validate} as the trainer and the
 * quantizer would, and reads what the validator wrote to a topic, from the beginning, decoded.
 */
public final class KafkaProbe {

  private static final EventCodec CODEC = new EventCodec();

  private KafkaProbe() {}

  public static String bootstrapServers() {
    return ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
  }

  public static void send(String topic, String key, QatEvent event) {
    send(topic, key, CODEC.encode(event));
  }

  public static void send(String topic, String key, byte[] value) {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                    ByteArraySerializer.class.getName()))) {
      producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot send to " + topic, e);
    }
  }

  /** A record read back: its key and decoded event. */
  public record Received(String key, QatEvent event) {}

  /**
   * Every decodable record of {@code topic} whose event matches {@code filter}, in offset order.
   */
  public static List<Received> read(String topic, Predicate<QatEvent> filter) {
    List<Received> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ConsumerConfig.CLIENT_ID_CONFIG, "probe-" + UUID.randomUUID(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                    ByteArrayDeserializer.class.getName()))) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic + " to its end " + end);
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          try {
            QatEvent event = CODEC.decode(r.value());
            if (filter.test(event)) {
              out.add(new Received(r.key(), event));
            }
          } catch (EventDecodingException notAnEvent) {
            // Other tests' garbage on a shared topic.
          }
        }
      }
    }
    return out;
  }

  /** The events of {@code jobId} and type {@code type} on {@code topic}. */
  public static <T extends QatEvent> List<T> events(String topic, String jobId, Class<T> type) {
    return read(topic, e -> type.isInstance(e) && e.jobId().equals(jobId)).stream()
        .map(r -> type.cast(r.event()))
        .toList();
  }

  /**
   * Waits until {@code topic} holds at least {@code count} events of {@code jobId} and {@code
   * type}, and returns them all.
   */
  public static <T extends QatEvent> List<T> await(
      String topic, String jobId, Class<T> type, int count) {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (true) {
      List<T> found = events(topic, jobId, type);
      if (found.size() >= count) {
        return found;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "expected "
                + count
                + " "
                + type.getSimpleName()
                + " of job "
                + jobId
                + " on "
                + topic
                + ", found "
                + found);
      }
      sleep(300);
    }
  }

  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
