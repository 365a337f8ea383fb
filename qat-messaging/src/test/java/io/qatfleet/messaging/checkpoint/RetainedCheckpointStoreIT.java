package io.qatfleet.messaging.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.messaging.checkpoint.CheckpointTransportException.Reason;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.testing.KafkaBrokerExtension;
import io.qatfleet.messaging.topic.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Checkpoints past the working topic's retention: what the approved topic holds is still read, what
 * it does not is reported missing. Retention is played by deleting the working topic's records
 * (what the broker does when {@code retention.ms} passes). Each test has its own pair of topics.
 */
@ExtendWith(KafkaBrokerExtension.class)
class RetainedCheckpointStoreIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final int CHUNK = 1024;
  private static final long MAX = 1024 * 1024;

  private final Random random = new Random(12);
  private String workTopic;
  private String approvedTopic;

  @BeforeEach
  void createTopics() throws Exception {
    String id = UUID.randomUUID().toString();
    workTopic = "qat.checkpoints.retention-" + id;
    approvedTopic = "qat.checkpoints.approved.retention-" + id;
    try (Admin admin = Admin.create(KafkaBrokerExtension.clientConfig())) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(workTopic, 2, (short) 1),
                  new NewTopic(approvedTopic, 2, (short) 1)
                      .configs(Map.of("cleanup.policy", "compact"))))
          .all()
          .get();
    }
  }

  private KafkaClientSettings clients() {
    return KafkaClientSettings.bootstrap(KafkaBrokerExtension.bootstrapServers(), "qat");
  }

  private KafkaCheckpointStore work() {
    return new KafkaCheckpointStore(
        clients(), workTopic, false, CHUNK, MAX, ChunkIndex.DEFAULT_MAX_ENTRIES, 64);
  }

  private KafkaCheckpointStore approved() {
    return new KafkaCheckpointStore(
        clients(), approvedTopic, true, CHUNK, MAX, ChunkIndex.DEFAULT_MAX_ENTRIES, 64);
  }

  private RetainedCheckpointStore store() {
    return new RetainedCheckpointStore(work(), approved());
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  /** Deletes every record of the working topic so far, as its retention would. */
  private void expireWorkingCopies() throws Exception {
    try (Admin admin = Admin.create(KafkaBrokerExtension.clientConfig());
        KafkaConsumer<String, byte[]> consumer = consumer()) {
      List<TopicPartition> partitions =
          List.of(new TopicPartition(workTopic, 0), new TopicPartition(workTopic, 1));
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      Map<TopicPartition, RecordsToDelete> delete = new java.util.HashMap<>();
      ends.forEach((tp, end) -> delete.put(tp, RecordsToDelete.beforeOffset(end)));
      admin.deleteRecords(delete).all().get();
    }
  }

  private KafkaConsumer<String, byte[]> consumer() {
    return new KafkaConsumer<>(
        KafkaBrokerExtension.clientConfig(), new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** What the validator does: the chunk records, sent in one transaction. */
  private void approve(KafkaCheckpointStore approved, byte[] bytes) {
    Map<String, Object> config = new java.util.HashMap<>(KafkaBrokerExtension.clientConfig());
    config.put("transactional.id", "retention-test-" + UUID.randomUUID());
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      approved.chunkRecords(bytes).forEach(producer::send);
      producer.commitTransaction();
    }
  }

  @Test
  void readsApprovedCheckpointAfterItsWorkingCopyExpired() throws Exception {
    byte[] kept = bytes(5 * CHUNK + 17);
    CheckpointRef ref;
    try (RetainedCheckpointStore writer = store()) {
      ref = writer.put(kept);
      approve(writer.approved(), kept);
    }
    expireWorkingCopies();

    try (RetainedCheckpointStore reader = store()) {
      assertThat(reader.get(ref, TIMEOUT)).isEqualTo(kept);
    }
  }

  @Test
  void readsApprovedCheckpointWhoseWorkingCopyExpiredAfterItWasIndexed() throws Exception {
    byte[] kept = bytes(3 * CHUNK);
    try (RetainedCheckpointStore store = store()) {
      CheckpointRef ref = store.put(kept);
      assertThat(store.get(ref, TIMEOUT)).isEqualTo(kept); // indexed on the working topic
      approve(store.approved(), kept);
      expireWorkingCopies();

      assertThat(store.get(ref, TIMEOUT)).isEqualTo(kept);
    }
  }

  @Test
  void reportsExpiredCheckpointThatWasNeverApprovedAsNotFound() throws Exception {
    byte[] approvedBytes = bytes(2 * CHUNK);
    byte[] lost = bytes(2 * CHUNK + 1);
    CheckpointRef lostRef;
    try (RetainedCheckpointStore writer = store()) {
      writer.put(approvedBytes);
      approve(writer.approved(), approvedBytes);
      lostRef = writer.put(lost);
    }
    expireWorkingCopies();

    try (RetainedCheckpointStore reader = store()) {
      assertThatThrownBy(() -> reader.get(lostRef, Duration.ofSeconds(3)))
          .isInstanceOfSatisfying(
              CheckpointTransportException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
    }
  }

  @Test
  void findsNothingAtOnceWhereChunkZeroIsMissing() throws Exception {
    byte[] bytes = bytes(CHUNK + 1);
    try (KafkaCheckpointStore work = work()) {
      CheckpointRef ref = work.put(bytes);
      expireWorkingCopies();

      assertThat(work.find(ref, TIMEOUT)).isEmpty();
    }
  }

  @Test
  void keysEveryApprovedChunkOnItsOwnInOnePartition() throws Exception {
    byte[] bytes = bytes(4 * CHUNK - 3);
    CheckpointRef ref = CheckpointRef.of(bytes);
    try (KafkaCheckpointStore approved = approved()) {
      approve(approved, bytes);
    }
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = consumer()) {
      int partition = KafkaCheckpointStore.partitionFor(ref.sha256(), 2);
      TopicPartition tp = new TopicPartition(approvedTopic, partition);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (records.size() < 4 && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    assertThat(records)
        .extracting(ConsumerRecord::key)
        .containsExactly(
            ref.sha256() + "/0", ref.sha256() + "/1", ref.sha256() + "/2", ref.sha256() + "/3");
  }

  @Test
  void refusesSameTopicForBoth() {
    try (KafkaCheckpointStore a = work();
        KafkaCheckpointStore b = work()) {
      assertThatThrownBy(() -> new RetainedCheckpointStore(a, b))
          .hasMessageContaining("approved: must be another topic");
    }
  }

  @Test
  void namesTheFleetTopicsInTheDefaultStore() {
    try (RetainedCheckpointStore store = RetainedCheckpointStore.of(clients())) {
      assertThat(store.work().topic()).isEqualTo(Topics.CHECKPOINTS);
      assertThat(store.approved().topic()).isEqualTo(Topics.APPROVED_CHECKPOINTS);
    }
  }
}
