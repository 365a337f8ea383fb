package io.qatfleet.cli.fleet;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the fleet's event topics from the beginning, without a consumer group (so it never takes
 * work from a service), decoding every record: what `qat follow` shows and what the end-to-end
 * tests assert on. Records that do not decode are kept as {@link Undecodable}.
 */
public final class EventTail implements AutoCloseable {
  /** A record on {@code topic} with its decoded event. */
  public record Seen(String topic, String key, QatEvent event) {}

  /** A record that did not decode. */
  public record Undecodable(String topic, String key, String reason) {}

  private static final Duration POLL = Duration.ofMillis(200);

  private final KafkaConsumer<String, byte[]> consumer;
  private final EventCodec codec = new EventCodec();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final List<Undecodable> undecodable = new CopyOnWriteArrayList<>();
  private final Thread poller;
  private volatile boolean running = true;

  /** A plaintext tail of the local fleet's broker at {@code bootstrapServers}. */
  public EventTail(String bootstrapServers, List<String> topics) {
    this(KafkaClientSettings.bootstrap(bootstrapServers, "qat-cli"), topics);
  }

  public EventTail(KafkaClientSettings clients, List<String> topics) {
    consumer =
        clients.consumer(
            "event-tail",
            new StringDeserializer(),
            new ByteArrayDeserializer(),
            Map.of(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 << 20));
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : topics) {
      consumer
          .partitionsFor(topic, Duration.ofSeconds(30))
          .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    poller = new Thread(this::pollLoop, "event-tail");
    poller.setDaemon(true);
    poller.start();
  }

  private void pollLoop() {
    try {
      while (running) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
          try {
            seen.add(new Seen(r.topic(), r.key(), codec.decode(r.value())));
          } catch (EventDecodingException e) {
            undecodable.add(new Undecodable(r.topic(), r.key(), e.getMessage()));
          }
        }
      }
    } catch (WakeupException e) {
      // closing
    } finally {
      consumer.close(Duration.ZERO);
    }
  }

  /** Every decoded event seen so far, in arrival order per partition. */
  public List<Seen> seen() {
    return List.copyOf(seen);
  }

  public List<Undecodable> undecodable() {
    return List.copyOf(undecodable);
  }

  /** Events of one job, oldest first by timestamp. */
  public List<Seen> ofJob(String jobId) {
    return seen.stream()
        .filter(s -> jobId.equals(s.event().jobId()))
        .sorted((a, b) -> a.event().timestamp().compareTo(b.event().timestamp()))
        .collect(Collectors.toList());
  }

  /** Waits until an event matching {@code condition} has been seen, or {@code timeout} passed. */
  public Optional<Seen> await(Predicate<Seen> condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (Seen s : seen) {
        if (condition.test(s)) {
          return Optional.of(s);
        }
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** Count of events by type name for one job, e.g. {"TrainRequested": 2}. */
  public Map<String, Long> countsOf(String jobId) {
    return ofJob(jobId).stream()
        .collect(
            Collectors.groupingBy(
                s -> s.event().getClass().getSimpleName(), Collectors.counting()));
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      poller.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
