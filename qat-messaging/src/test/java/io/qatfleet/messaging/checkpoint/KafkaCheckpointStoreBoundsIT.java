package io.qatfleet.messaging.checkpoint;

import static io.qatfleet.messaging.checkpoint.KafkaCheckpointStore.HEADER_CHUNK_BYTES;
import static io.qatfleet.messaging.checkpoint.KafkaCheckpointStore.HEADER_CHUNK_COUNT;
import static io.qatfleet.messaging.checkpoint.KafkaCheckpointStore.HEADER_CHUNK_INDEX;
import static io.qatfleet.messaging.checkpoint.KafkaCheckpointStore.HEADER_SHA256;
import static io.qatfleet.messaging.checkpoint.KafkaCheckpointStore.HEADER_TOTAL_BYTES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.messaging.checkpoint.CheckpointTransportException.Reason;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.testing.KafkaBrokerExtension;
import io.qatfleet.messaging.topic.Topics;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The checkpoint store against a hostile writer on its topic: records whose chunk headers claim
 * more than they carry. Each test has a topic of its own with one partition, so the counts of
 * skipped records are exact.
 */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaCheckpointStoreBoundsIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final int CHUNK = KafkaCheckpointStore.DEFAULT_CHUNK_BYTES;
  private static final long MIB = 1024 * 1024;

  private String topic;

  @BeforeEach
  void createTopic() throws Exception {
    topic = "qat.checkpoints.bounds-" + UUID.randomUUID();
    try (Admin admin = Admin.create(KafkaBrokerExtension.clientConfig())) {
      NewTopic t =
          new NewTopic(topic, 1, (short) 1)
              .configs(
                  Map.of(
                      "max.message.bytes", Integer.toString(Topics.CHECKPOINT_MAX_MESSAGE_BYTES)));
      admin.createTopics(List.of(t)).all().get();
    }
  }

  private KafkaCheckpointStore store(long maxBytes, int searchWindow) {
    return new KafkaCheckpointStore(
        KafkaClientSettings.bootstrap(KafkaBrokerExtension.bootstrapServers(), "qat"),
        topic,
        false,
        CHUNK,
        maxBytes,
        ChunkIndex.DEFAULT_MAX_ENTRIES,
        searchWindow);
  }

  private KafkaCheckpointStore store() {
    return store(KafkaCheckpointStore.DEFAULT_MAX_CHECKPOINT_BYTES, 256);
  }

  @Test
  void readsHonestCheckpointAfterChunkCountBomb() {
    byte[] bytes = random(1_200_000, 1);
    CheckpointRef ref = CheckpointRef.of(bytes);
    // Keyed like the honest checkpoint, so it lies in its partition, before its chunks.
    produce(ref.sha256(), new byte[1], ref.sha256(), "0", "2000000000", "1", null);
    try (KafkaCheckpointStore writer = store();
        KafkaCheckpointStore reader = store()) {
      writer.put(bytes);

      assertThat(reader.get(ref, TIMEOUT)).isEqualTo(bytes);
      assertThat(reader.skippedChunks()).isEqualTo(1);
    }
  }

  @Test
  void readsHonestCheckpointAfterBombOfItsOwnSize() {
    // The bomb claims the honest total but two billion chunks: count is not ceil(total / chunk).
    byte[] bytes = random(1_200_000, 2);
    CheckpointRef ref = CheckpointRef.of(bytes);
    produce(ref.sha256(), new byte[CHUNK], ref.sha256(), "0", "2000000000", "1200000", null);
    try (KafkaCheckpointStore writer = store();
        KafkaCheckpointStore reader = store()) {
      writer.put(bytes);

      assertThat(reader.get(ref, TIMEOUT)).isEqualTo(bytes);
      assertThat(reader.skippedChunks()).isEqualTo(1);
    }
  }

  @Test
  void skipsChunkWithIndexBeyondCount() {
    byte[] bytes = random(1000, 3);
    CheckpointRef ref = CheckpointRef.of(bytes);
    produce(ref.sha256(), new byte[10], ref.sha256(), "5", "1", "1000", Integer.toString(CHUNK));
    try (KafkaCheckpointStore writer = store();
        KafkaCheckpointStore reader = store()) {
      writer.put(bytes);

      assertThat(reader.get(ref, TIMEOUT)).isEqualTo(bytes);
      assertThat(reader.skippedChunks()).isEqualTo(1);
    }
  }

  @Test
  void skipsChunkWithUnreadableHeaders() {
    byte[] bytes = random(1000, 4);
    CheckpointRef ref = CheckpointRef.of(bytes);
    produce(ref.sha256(), new byte[10], ref.sha256(), "zero", "1", "1000", null);
    try (KafkaCheckpointStore writer = store();
        KafkaCheckpointStore reader = store()) {
      writer.put(bytes);

      assertThat(reader.get(ref, TIMEOUT)).isEqualTo(bytes);
      assertThat(reader.skippedChunks()).isEqualTo(1);
    }
  }

  @Test
  void refusesReferenceClaimingTwoGibibytesWithoutAllocating() {
    CheckpointRef claim = new CheckpointRef(CheckpointRef.sha256Hex(new byte[] {7}), 2048 * MIB);
    try (KafkaCheckpointStore reader = store()) {
      long before = allocatedBytes();

      assertThatThrownBy(() -> reader.get(claim, TIMEOUT))
          .isInstanceOfSatisfying(
              CheckpointTransportException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE))
          .hasMessageContaining(
              "2147483648 bytes exceeds the maximum checkpoint size of 268435456");
      assertThat(allocatedBytes() - before).isLessThan(MIB);
    }
  }

  @Test
  void allocatesNothingForClaimBeforeFirstChunkArrives() {
    // A reference within the maximum (64 MiB) whose chunks never come: nothing near its size is
    // allocated while waiting, and the wait ends with NOT_FOUND.
    CheckpointRef claim = new CheckpointRef(CheckpointRef.sha256Hex(new byte[] {8}), 64 * MIB);
    try (KafkaCheckpointStore reader = store()) {
      long before = allocatedBytes();

      assertThatThrownBy(() -> reader.get(claim, Duration.ofSeconds(2)))
          .isInstanceOfSatisfying(
              CheckpointTransportException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
      assertThat(allocatedBytes() - before).isLessThan(32 * MIB);
    }
  }

  @Test
  void refusesToPutCheckpointOverMaximum() {
    try (KafkaCheckpointStore writer = store(1000, 256)) {
      assertThatThrownBy(() -> writer.put(new byte[1001]))
          .isInstanceOfSatisfying(
              CheckpointTransportException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE));
    }
    try (KafkaCheckpointStore reader = store()) {
      assertThatThrownBy(
              () -> reader.get(CheckpointRef.of(new byte[1001]), Duration.ofMillis(1500)))
          .as("nothing was written")
          .isInstanceOfSatisfying(
              CheckpointTransportException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
    }
  }

  @Test
  void freshReaderFindsRecentCheckpointWithoutReadingFromOffsetZero() {
    // A malformed record at offset 0, then 20 checkpoints: a reader searching 4 records at a time
    // from the end finds the newest without ever reading offset 0, so it skips nothing.
    produce("ff".repeat(32), new byte[1], "ff".repeat(32), "0", "2000000000", "1", null);
    byte[] last = null;
    try (KafkaCheckpointStore writer = store()) {
      for (int i = 0; i < 20; i++) {
        last = random(1000, 100 + i);
        writer.put(last);
      }
    }
    try (KafkaCheckpointStore reader =
        store(KafkaCheckpointStore.DEFAULT_MAX_CHECKPOINT_BYTES, 4)) {
      assertThat(reader.get(CheckpointRef.of(last), TIMEOUT)).isEqualTo(last);
      assertThat(reader.skippedChunks()).isZero();
    }
  }

  @Test
  void freshReaderFindsOldestCheckpointSearchingBackward() {
    byte[] first = random(1000, 200);
    try (KafkaCheckpointStore writer = store()) {
      writer.put(first);
      for (int i = 0; i < 20; i++) {
        writer.put(random(1000, 201 + i));
      }
    }
    try (KafkaCheckpointStore reader =
        store(KafkaCheckpointStore.DEFAULT_MAX_CHECKPOINT_BYTES, 4)) {
      assertThat(reader.get(CheckpointRef.of(first), TIMEOUT)).isEqualTo(first);
    }
  }

  @Test
  void readsCheckpointPutAfterReaderStartedWaiting() throws Exception {
    byte[] bytes = random(700_000, 5);
    CheckpointRef ref = CheckpointRef.of(bytes);
    try (KafkaCheckpointStore writer = store();
        KafkaCheckpointStore reader = store()) {
      writer.put(random(1000, 6)); // something to search through first
      Thread late =
          new Thread(
              () -> {
                sleep(1500);
                writer.put(bytes);
              });
      late.start();

      assertThat(reader.get(ref, TIMEOUT)).isEqualTo(bytes);
      late.join();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getCurrentThreadAllocatedBytes();
  }

  private static byte[] random(int n, long seed) {
    byte[] bytes = new byte[n];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /** One record written by hand, as a hostile client would; {@code chunkBytes} null: no header. */
  private void produce(
      String key,
      byte[] value,
      String sha,
      String index,
      String count,
      String total,
      String chunkBytes) {
    Map<String, Object> config = new HashMap<>(KafkaBrokerExtension.clientConfig());
    config.put("max.request.size", Topics.CHECKPOINT_MAX_MESSAGE_BYTES);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
      RecordHeaders headers = new RecordHeaders();
      headers.add(HEADER_SHA256, ascii(sha));
      headers.add(HEADER_CHUNK_INDEX, ascii(index));
      headers.add(HEADER_CHUNK_COUNT, ascii(count));
      headers.add(HEADER_TOTAL_BYTES, ascii(total));
      if (chunkBytes != null) {
        headers.add(HEADER_CHUNK_BYTES, ascii(chunkBytes));
      }
      producer.send(new ProducerRecord<>(topic, null, key, value, headers));
      producer.flush();
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
