package io.qatfleet.messaging.deadletter;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.topic.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads {@code qat.dlq} for operators: every partition from its beginning up to the end it had when
 * the read began, {@code read_committed}, outside any consumer group (nothing is committed, so no
 * group ACL is needed). The CLI's {@code qat dlq list}, the trainer's list of dead letters for the
 * web console ({@link #newest}) and its replay of a dead letter read it through here.
 */
public final class DeadLetterTopic {

  private DeadLetterTopic() {}

  /**
   * The newest {@code limit} dead letters that {@code filter} accepts, oldest first, without their
   * original bytes ({@code originalBase64} empty: a listing shows reasons, and holds at most {@code
   * limit} letters while it reads, whatever the topic holds). Records that are not dead letters are
   * skipped.
   *
   * @throws TimeoutException when the topic could not be read to its end within {@code timeout}
   */
  public static List<DeadLetter> newest(
      KafkaClientSettings clients,
      String role,
      Duration timeout,
      EventCodec codec,
      Predicate<DeadLetter> filter,
      int limit)
      throws TimeoutException {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
    Comparator<DeadLetter> byTime = Comparator.comparing(DeadLetter::timestamp);
    PriorityQueue<DeadLetter> kept = new PriorityQueue<>(byTime);
    scan(
        clients,
        role,
        timeout,
        record -> {
          QatEvent event;
          try {
            event = codec.decode(record.value());
          } catch (Exception e) {
            return; // not a dead letter the fleet wrote: not listed
          }
          if (event instanceof DeadLetter letter && filter.test(letter)) {
            kept.add(withoutOriginal(letter));
            if (kept.size() > limit) {
              kept.poll();
            }
          }
        });
    List<DeadLetter> out = new ArrayList<>(kept);
    out.sort(byTime);
    return out;
  }

  private static DeadLetter withoutOriginal(DeadLetter l) {
    return new DeadLetter(
        l.eventId(),
        l.jobId(),
        l.round(),
        null,
        l.timestamp(),
        l.sourceTopic(),
        l.partition(),
        l.offset(),
        l.errorType(),
        l.reason(),
        "",
        l.originalKey());
  }

  /**
   * Hands every record of {@code qat.dlq} to {@code visitor}, partition by partition in offset
   * order.
   *
   * @throws TimeoutException when the topic could not be read to its end within {@code timeout}
   */
  public static void scan(
      KafkaClientSettings clients,
      String role,
      Duration timeout,
      Consumer<ConsumerRecord<String, byte[]>> visitor)
      throws TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<String, byte[]> consumer =
        clients.consumer(role, new StringDeserializer(), new ByteArrayDeserializer(), Map.of())) {
      List<PartitionInfo> infos = consumer.partitionsFor(Topics.DLQ, timeout);
      if (infos == null || infos.isEmpty()) {
        return;
      }
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : infos) {
        partitions.add(new TopicPartition(info.topic(), info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = new HashMap<>(consumer.endOffsets(partitions, timeout));
      ends.entrySet().removeIf(e -> consumer.position(e.getKey(), timeout) >= e.getValue());
      while (!ends.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException(
              "could not read " + Topics.DLQ + " to its end within " + timeout);
        }
        for (ConsumerRecord<String, byte[]> record :
            consumer.poll(Duration.ofNanos(Math.min(left, Duration.ofSeconds(1).toNanos())))) {
          Long end = ends.get(new TopicPartition(record.topic(), record.partition()));
          if (end != null && record.offset() < end) {
            visitor.accept(record);
          }
        }
        ends.entrySet().removeIf(e -> consumer.position(e.getKey(), timeout) >= e.getValue());
      }
    }
  }
}
