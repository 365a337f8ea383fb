package io.qatfleet.messaging.testing;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.integrity.EventSeal;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.TimeoutException;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A test's side of the fleet's topics, on SmallRye's {@link KafkaCompanion}: sends records (events
 * encoded by {@link EventCodec}, sealed with the fleet's key unless sent {@link #sendAsIs as is})
 * and reads a topic from its beginning, without joining a consumer group, each value decoded. Tests
 * put undecodable records on purpose, so reading keeps them as {@link Received}s that are not
 * events; {@link Received#event()} fails where one was expected.
 */
public final class EventTopics implements AutoCloseable {

  /** How long one send, or one read of a topic to its end, may take. */
  private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);

  private final String bootstrapServers;
  private final KafkaCompanion companion;
  private final EventCodec codec = new EventCodec();
  private final EventSeal seal;

  /**
   * A side that seals what it sends with the fleet's event key {@code eventKey} (base64, the
   * services' {@code qat.event-key}), as a fleet service would: tests of a stage's own behaviour
   * need their input to pass the seal check. {@link #sendAsIs} sends what an outsider would.
   */
  public EventTopics(String bootstrapServers, String eventKey) {
    this.bootstrapServers = bootstrapServers;
    this.companion = new KafkaCompanion(bootstrapServers, KAFKA_TIMEOUT);
    this.seal = EventSeal.fromBase64("event key of the test", eventKey);
  }

  /** A record read back: its key, and its value decoded when it is an event. */
  public static final class Received {
    private final String key;
    private final QatEvent event;
    private final EventDecodingException notAnEvent;

    private Received(String key, QatEvent event, EventDecodingException notAnEvent) {
      this.key = key;
      this.event = event;
      this.notAnEvent = notAnEvent;
    }

    public String key() {
      return key;
    }

    /** The event; fails the test when the value is not one. */
    public QatEvent event() {
      if (notAnEvent != null) {
        throw new AssertionError("the record keyed " + key + " is not an event", notAnEvent);
      }
      return event;
    }

    /** Whether the value is an event of {@code type} that {@code match} accepts. */
    public <T extends QatEvent> boolean is(Class<T> type, Predicate<? super T> match) {
      return type.isInstance(event) && match.test(type.cast(event));
    }

    @Override
    public String toString() {
      return key + "=" + (notAnEvent == null ? event : "not an event: " + notAnEvent.getMessage());
    }
  }

  /** Events of the job {@code jobId}. */
  public static Predicate<QatEvent> ofJob(String jobId) {
    return e -> jobId.equals(e.jobId());
  }

  /** Records whose key is {@code key}. */
  public static Predicate<Received> keyed(String key) {
    return r -> key.equals(r.key());
  }

  /** Seals {@code record} with the fleet's key, writes it and waits for the acknowledgement. */
  public void send(ProducerRecord<String, byte[]> record) {
    seal.sealInto(record.headers(), record.key(), record.value());
    sendAsIs(record);
  }

  /**
   * Writes {@code record} with the headers it has, sealed or not, as a client outside the fleet
   * would, and waits for the broker to acknowledge it.
   */
  public void sendAsIs(ProducerRecord<String, byte[]> record) {
    companion
        .produce(String.class, byte[].class)
        .fromRecords(record)
        .awaitCompletion(KAFKA_TIMEOUT)
        .close();
  }

  public void send(String topic, String key, byte[] value) {
    send(new ProducerRecord<>(topic, key, value));
  }

  public void send(String topic, String key, QatEvent event) {
    send(topic, key, codec.encode(event));
  }

  /** Sends {@code event} keyed by its job, as the services key their events. */
  public void send(String topic, QatEvent event) {
    send(topic, event.jobId(), event);
  }

  /**
   * The records of {@code topic} that {@code match} accepts, once at least {@code count} of them
   * arrived; fails after {@code timeout} naming what was found.
   */
  public List<Received> await(
      String topic, Predicate<Received> match, int count, Duration timeout) {
    ConsumerTask<String, byte[]> task =
        consume(beginning(topic), m -> m.select().where(r -> match.test(decode(r))));
    try {
      task.awaitRecords(count, timeout);
      return decode(task.getRecords());
    } catch (AssertionError e) {
      throw new AssertionError(
          "expected at least "
              + count
              + " matching records on "
              + topic
              + " within "
              + timeout
              + ", found "
              + decode(task.getRecords()),
          e);
    } finally {
      task.close();
    }
  }

  /** The events of {@code type} on {@code topic} that {@code match} accepts: {@link #await}. */
  public <T extends QatEvent> List<T> await(
      String topic, Class<T> type, Predicate<? super T> match, int count, Duration timeout) {
    return events(await(topic, r -> r.is(type, match), count, timeout), type);
  }

  /**
   * Every committed record that {@code match} accepts among those {@code topic} holds now: read
   * from the beginning until the consumer's position reaches the last stable offset of every
   * partition (transaction markers and aborted records take offsets but are not records).
   */
  public List<Received> readToEnd(String topic, Predicate<Received> match) {
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>(beginning(topic).keySet());
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, KAFKA_TIMEOUT);
      long deadline = System.nanoTime() + KAFKA_TIMEOUT.toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("could not read " + topic + " to " + end + " in time");
        }
        consumer.poll(Duration.ofMillis(100)).forEach(records::add);
      }
    }
    return decode(records).stream().filter(match).toList();
  }

  /** The events of {@code type} on {@code topic} that {@code match} accepts: {@link #readToEnd}. */
  public <T extends QatEvent> List<T> readToEnd(
      String topic, Class<T> type, Predicate<? super T> match) {
    return events(readToEnd(topic, r -> r.is(type, match)), type);
  }

  /**
   * The events of {@code type} on {@code topic} that {@code match} accepts, read from the beginning
   * for {@code window}: for asserting that no more than some arrive.
   */
  public <T extends QatEvent> List<T> readFor(
      String topic, Class<T> type, Predicate<? super T> match, Duration window) {
    try (ConsumerTask<String, byte[]> task =
        consume(beginning(topic), m -> m.select().first(window))) {
      task.awaitCompletion(window.plus(KAFKA_TIMEOUT));
      return events(
          decode(task.getRecords()).stream().filter(r -> r.is(type, match)).toList(), type);
    }
  }

  /**
   * Waits until {@code value} (a metric, say) satisfies {@code done}, reading it every {@code
   * poll}; fails after {@code timeout} naming its last value. It repeats a {@code Uni} of the value
   * because {@code KafkaCompanion.waitFor(BooleanSupplier, Duration)} never calls its supplier with
   * Mutiny 3: that {@code Uni<Void>} emits null, which {@code repeat()} drops.
   */
  public static <T> void waitUntil(
      Supplier<T> value, Predicate<? super T> done, Duration poll, Duration timeout) {
    try {
      KafkaCompanion.waitFor(Uni.createFrom().item(value), done::test, poll)
          .await()
          .atMost(timeout);
    } catch (TimeoutException e) {
      throw new AssertionError("still " + value.get() + " after " + timeout, e);
    }
  }

  @Override
  public void close() {
    companion.close();
  }

  private ConsumerTask<String, byte[]> consume(
      Map<TopicPartition, Long> from,
      Function<Multi<ConsumerRecord<String, byte[]>>, Multi<ConsumerRecord<String, byte[]>>> plug) {
    // Committed records only, as every reader of the fleet: the validator's decisions are
    // transactions.
    return companion
        .consume(String.class, byte[].class)
        .withIsolationLevel(IsolationLevel.READ_COMMITTED)
        .fromOffsets(from, plug);
  }

  private Map<TopicPartition, Long> beginning(String topic) {
    return offsets(topic, OffsetSpec.earliest());
  }

  private Map<TopicPartition, Long> offsets(String topic, OffsetSpec spec) {
    List<TopicPartition> partitions =
        companion.topics().waitForTopic(topic).await().atMost(KAFKA_TIMEOUT).partitions().stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    return companion
        .offsets()
        .list(partitions.stream().collect(Collectors.toMap(tp -> tp, tp -> spec)))
        .entrySet()
        .stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  private Received decode(ConsumerRecord<String, byte[]> record) {
    try {
      return new Received(record.key(), codec.decode(record.value()), null);
    } catch (EventDecodingException e) {
      return new Received(record.key(), null, e);
    }
  }

  private List<Received> decode(List<ConsumerRecord<String, byte[]>> records) {
    return records.stream().map(this::decode).toList();
  }

  private static <T extends QatEvent> List<T> events(List<Received> received, Class<T> type) {
    return received.stream().map(r -> type.cast(r.event())).toList();
  }
}
