package io.qatfleet.quantizer;

import static io.qatfleet.messaging.testing.EventTopics.keyed;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.CheckpointKind;
import io.qatfleet.core.infer.QuantizedLayer;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.testing.EventTopics;
import io.qatfleet.messaging.testing.EventTopics.Received;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.service.RecordAttempts;
import io.qatfleet.service.RecordGuard;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The quantizer against a real broker: what reaches {@code qat.validate}, {@code qat.status} and
 * {@code qat.dlq} for good, duplicated and bad records on {@code qat.quantize}. Each test uses its
 * own job id as the record key, so tests do not see each other's records.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
class QuantizeListenerTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @Inject CheckpointStore store;
  @Inject MeterRegistry registry;

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  @ConfigProperty(name = "qat.event-key")
  String eventKey;

  @ConfigProperty(name = "qat.state-dir")
  Path stateDir;

  private final EventCodec codec = new EventCodec();
  private final CheckpointCodec checkpoints = new CheckpointCodec();
  private final ObjectMapper json = new ObjectMapper();
  private EventTopics topics;

  @BeforeEach
  void connect() {
    topics = new EventTopics(bootstrapServers, eventKey);
  }

  @AfterEach
  void disconnect() {
    topics.close();
  }

  @Test
  void publishesQuantizedModelWithTheSpecsBitsPerLayer() throws Exception {
    String job = newJob();
    CheckpointRef input = store.put(QatCheckpointFixture.qatCheckpoint());

    send(job, codec.encode(qatRound(job, input)));

    QuantizedModelReady ready =
        single(awaitEvents(Topics.VALIDATE, job, 1), QuantizedModelReady.class);
    assertThat(ready.round()).isEqualTo(1);
    assertThat(ready.spec()).isEqualTo(QatCheckpointFixture.SPEC);
    assertThat(ready.calibrationMetrics().get("calibrationLoss")).isFinite().isPositive();
    // How the round trained travels on to the validator (its remedy reads the loss trend).
    assertThat(ready.calibrationMetrics())
        .containsEntry(QuantizedModelReady.TRAINING_PREFIX + "loss", 0.9);

    Checkpoint integer = fetch(ready.checkpoint());
    assertThat(integer.kind()).isEqualTo(CheckpointKind.QUANTIZED);
    QuantizedModel model = ModelCheckpoints.quantizedModel(integer);
    // conv4, conv8, dense16, output: four layers. W4A4 with the first and last layer at 8 bits
    // (weights and the activations entering them); layer 0 reads 8-bit pixels.
    assertThat(model.layers()).hasSize(4);
    int[] weightBits = {8, 4, 4, 8};
    int[] inputBits = {8, 4, 4, 8};
    for (QuantizedLayer l : model.layers()) {
      int i = l.shape().index();
      assertThat(l.weights().spec().bits())
          .as("weight bits of layer %d", i)
          .isEqualTo(weightBits[i]);
      assertThat(l.inputSpec().bits()).as("input bits of layer %d", i).isEqualTo(inputBits[i]);
      int qmax = (1 << (weightBits[i] - 1)) - 1; // narrow range: levels in [-qmax, qmax]
      for (byte level : l.weights().levels()) {
        assertThat((int) level).isBetween(-qmax, qmax);
      }
    }
    assertThat(ready.calibrationMetrics().get("integerModelBytes"))
        .isEqualTo((double) model.storageBytes());
    // The 4-bit layers' levels are packed two per byte: the stored tensor is half their count.
    assertThat(integer.tensor("layer1.weight_q").elementCount())
        .isEqualTo((model.layers().get(1).weights().levels().length + 1) / 2);
    // The deployable file: the integer model as ONNX, stored beside the checkpoints.
    assertThat(ready.onnxModel()).isNotNull();
    byte[] onnx = store.get(ready.onnxModel(), java.time.Duration.ofSeconds(30));
    assertThat(new String(onnx, java.nio.charset.StandardCharsets.ISO_8859_1))
        .contains("QLinearConv", integer.provenance().jobId());
    assertThat(ready.calibrationMetrics().get("onnxModelBytes")).isEqualTo((double) onnx.length);
    assertThat(integer.provenance().parentSha256()).isEqualTo(input.sha256());
    assertThat(integer.provenance().jobId()).isEqualTo(job);
    assertThat(integer.provenance().round()).isEqualTo(1);

    Checkpoint calibrated = fetch(ready.calibratedCheckpoint());
    assertThat(calibrated.kind()).isEqualTo(CheckpointKind.FLOAT);
    assertThat(ModelCheckpoints.quantizationSpec(calibrated))
        .isEqualTo(QatCheckpointFixture.SPEC.quantization());
    assertThat(calibrated.provenance().parentSha256()).isEqualTo(input.sha256());

    List<StatusUpdate> statuses = events(Topics.STATUS, job, StatusUpdate.class);
    assertThat(statuses).anyMatch(s -> s.stage().equals("quantize") && s.progress() == 1.0);
    assertThat(statuses).noneMatch(s -> s.stage().equals("error"));
  }

  @Test
  void publishesOneOutcomeForADuplicatedEvent() {
    String job = newJob();
    CheckpointRef input = store.put(QatCheckpointFixture.qatCheckpoint());
    byte[] event = codec.encode(qatRound(job, input));
    double before = registry.counter("qat.quantize.duplicates").count();

    send(job, event);
    send(job, event);
    // The same key puts both on one partition: the sentinel is handled after both copies.
    send(job, "sentinel".getBytes(StandardCharsets.UTF_8));
    awaitEvents(Topics.DLQ, job, 1);

    assertThat(events(Topics.VALIDATE, job, QuantizedModelReady.class)).hasSize(1);
    assertThat(registry.counter("qat.quantize.duplicates").count()).isEqualTo(before + 1);
  }

  @Test
  void quantizesFloatBaselineAsRoundZeroByPostTrainingQuantization() {
    String job = newJob();
    CheckpointRef baseline = store.put(QatCheckpointFixture.baselineCheckpoint());
    FloatCheckpointReady event =
        new FloatCheckpointReady(
            QatEvent.newEventId(),
            job,
            0,
            baseline,
            Instant.now(),
            QatCheckpointFixture.SPEC,
            true,
            Map.of(FloatCheckpointReady.CPU_SECONDS, 12.5));

    send(job, codec.encode(event));

    QuantizedModelReady ready =
        single(awaitEvents(Topics.VALIDATE, job, 1), QuantizedModelReady.class);
    assertThat(ready.round()).isZero();
    assertThat(ready.spec()).isEqualTo(QatCheckpointFixture.SPEC);
    assertThat(ready.calibrationMetrics().get(QuantizedModelReady.CPU_SECONDS)).isPositive();
    // The baseline's training is no cost of round 0: every round shares it.
    assertThat(ready.calibrationMetrics().keySet())
        .noneMatch(k -> k.startsWith(QuantizedModelReady.TRAINING_PREFIX));
    Checkpoint integer = fetch(ready.checkpoint());
    assertThat(integer.kind()).isEqualTo(CheckpointKind.QUANTIZED);
    assertThat(ModelCheckpoints.quantizedModel(integer).layers().get(1).weights().spec().bits())
        .isEqualTo(4);
    assertThat(integer.provenance().parentSha256()).isEqualTo(baseline.sha256());
    assertThat(fetch(ready.calibratedCheckpoint()).provenance().round()).isZero();
  }

  @Test
  void deadLettersBaselineFlagOnAnotherRound() {
    String job = newJob();
    CheckpointRef baseline = store.put(QatCheckpointFixture.baselineCheckpoint());
    FloatCheckpointReady event =
        new FloatCheckpointReady(
            QatEvent.newEventId(),
            job,
            2,
            baseline,
            Instant.now(),
            QatCheckpointFixture.SPEC,
            true,
            Map.of());

    send(job, codec.encode(event));

    DeadLetter letter = single(awaitEvents(Topics.DLQ, job, 1), DeadLetter.class);
    assertThat(letter.errorType()).isEqualTo("UNSUPPORTED_ROUND");
    assertThat(events(Topics.VALIDATE, job, QuantizedModelReady.class)).isEmpty();
  }

  @Test
  void deadLettersMalformedJson() {
    String job = newJob();
    byte[] garbage = "{\"jobId\": \"half".getBytes(StandardCharsets.UTF_8);

    send(job, garbage);

    DeadLetter letter = single(awaitEvents(Topics.DLQ, job, 1), DeadLetter.class);
    assertThat(letter.errorType()).isEqualTo("MALFORMED_JSON");
    assertThat(letter.sourceTopic()).isEqualTo(Topics.QUANTIZE);
    assertThat(letter.originalBytes()).isEqualTo(garbage);
    // The value names no job; the record's key does, and the job is told (docs/fleet.md).
    assertThat(letter.jobId()).isEqualTo(job);
    assertErrorStatus(job, "MALFORMED_JSON");
  }

  @Test
  void deadLettersUnknownSchemaVersion() throws Exception {
    String job = newJob();
    ObjectNode root = tree(qatRound(job, CheckpointRef.of(randomBytes(16))));
    root.put("schemaVersion", 99);
    byte[] value = json.writeValueAsBytes(root);

    send(job, value);

    DeadLetter letter = single(awaitEvents(Topics.DLQ, job, 1), DeadLetter.class);
    assertThat(letter.errorType()).isEqualTo("UNKNOWN_SCHEMA_VERSION");
    assertThat(letter.reason()).contains("99");
    assertThat(letter.jobId()).isEqualTo(job);
    assertThat(letter.originalBytes()).isEqualTo(value);
    assertErrorStatus(job, "UNKNOWN_SCHEMA_VERSION");
  }

  @Test
  void deadLettersInvalidSpec() throws Exception {
    String job = newJob();
    CheckpointRef input = store.put(QatCheckpointFixture.qatCheckpoint());
    ObjectNode root = tree(qatRound(job, input));
    ((ObjectNode) root.get("spec").get("quantization")).put("weightBits", 0);

    send(job, json.writeValueAsBytes(root));

    DeadLetter letter = single(awaitEvents(Topics.DLQ, job, 1), DeadLetter.class);
    assertThat(letter.errorType()).isEqualTo("INVALID_SPEC");
    assertThat(letter.reason()).contains("quantization.weightBits");
    assertErrorStatus(job, "INVALID_SPEC");
    assertThat(events(Topics.VALIDATE, job, QuantizedModelReady.class)).isEmpty();
  }

  @Test
  void deadLettersCheckpointThatNeverArrives() {
    String job = newJob();
    CheckpointRef unknown = CheckpointRef.of(randomBytes(64));

    send(job, codec.encode(qatRound(job, unknown)));

    DeadLetter letter = single(awaitEvents(Topics.DLQ, job, 1), DeadLetter.class);
    assertThat(letter.errorType()).isEqualTo("CHECKPOINT_NOT_FOUND");
    assertThat(letter.reason()).contains(unknown.sha256());
    assertErrorStatus(job, "CHECKPOINT_NOT_FOUND");
  }

  @Test
  void deadLettersCheckpointWithCorruptedChunk() {
    String job = newJob();
    byte[] content = randomBytes(1000);
    CheckpointRef ref = CheckpointRef.of(content);
    byte[] corrupted = content.clone();
    corrupted[500] ^= 0x01;
    writeSingleChunk(ref, corrupted);

    send(job, codec.encode(qatRound(job, ref)));

    DeadLetter letter = single(awaitEvents(Topics.DLQ, job, 1), DeadLetter.class);
    assertThat(letter.errorType()).isEqualTo("CHECKPOINT_DIGEST_MISMATCH");
    assertErrorStatus(job, "CHECKPOINT_DIGEST_MISMATCH");
  }

  @Test
  void deadLettersFloatCheckpointWithoutQuantizationParameters() {
    String job = newJob();
    CheckpointRef baseline = store.put(QatCheckpointFixture.baselineCheckpoint());

    send(job, codec.encode(qatRound(job, baseline)));

    DeadLetter letter = single(awaitEvents(Topics.DLQ, job, 1), DeadLetter.class);
    assertThat(letter.errorType()).isEqualTo("MISSING_QUANTIZATION");
    assertErrorStatus(job, "MISSING_QUANTIZATION");
  }

  /**
   * A FloatCheckpointReady no fleet service sealed names a real QAT checkpoint: it is dead-lettered
   * unread, tells the job nothing, and the same event as the trainer seals it is then quantized
   * (the forgery left no ledger entry behind that would make the genuine one a duplicate).
   */
  @Test
  void deadLettersUnsealedRoundAndQuantizesTheSealedOne() {
    String job = newJob();
    CheckpointRef input = store.put(QatCheckpointFixture.qatCheckpoint());
    byte[] round = codec.encode(qatRound(job, input));

    topics.sendAsIs(new ProducerRecord<>(Topics.QUANTIZE, job, round));

    DeadLetter letter = single(awaitEvents(Topics.DLQ, job, 1), DeadLetter.class);
    assertThat(letter.errorType()).isEqualTo("UNSEALED_EVENT");
    assertThat(letter.reason()).contains("no fleet service wrote it");

    send(job, round);

    assertThat(single(awaitEvents(Topics.VALIDATE, job, 1), QuantizedModelReady.class).round())
        .isEqualTo(1);
    // The forgery told the job nothing: whoever writes to the topic cannot mark a job failed.
    assertThat(events(Topics.STATUS, job, StatusUpdate.class))
        .noneMatch(s -> s.stage().equals("error"));
  }

  @Test
  void keepsQuantizingAfterBadInput() {
    String job = newJob();
    CheckpointRef input = store.put(QatCheckpointFixture.qatCheckpoint());

    send(job, "not json at all".getBytes(StandardCharsets.UTF_8));
    send(job, codec.encode(qatRound(job, CheckpointRef.of(randomBytes(32)))));
    send(job, codec.encode(qatRound(job, input)));

    QuantizedModelReady ready =
        single(awaitEvents(Topics.VALIDATE, job, 1), QuantizedModelReady.class);
    assertThat(ready.round()).isEqualTo(1);
    List<DeadLetter> letters = events(Topics.DLQ, job, DeadLetter.class);
    assertThat(letters)
        .extracting(DeadLetter::errorType)
        .containsExactly("MALFORMED_JSON", "CHECKPOINT_NOT_FOUND");
  }

  @Test
  void quantizesCheckpointBehindChunkCountBomb() {
    String job = newJob();
    byte[] content = QatCheckpointFixture.qatCheckpoint();
    CheckpointRef ref = CheckpointRef.of(content);
    double skippedBefore = skippedChunks();
    // A record in the checkpoint's partition, before its chunks, claiming two billion chunks.
    writeChunk(ref, "0", "2000000000", "1", new byte[1]);
    try (KafkaCheckpointStore writer = new KafkaCheckpointStore(bootstrapServers)) {
      assertThat(writer.put(content)).isEqualTo(ref);
    }

    send(job, codec.encode(qatRound(job, ref)));

    QuantizedModelReady ready =
        single(awaitEvents(Topics.VALIDATE, job, 1), QuantizedModelReady.class);
    assertThat(ready.round()).isEqualTo(1);
    assertThat(skippedChunks()).isGreaterThanOrEqualTo(skippedBefore + 1);
  }

  @Test
  void deadLettersReferenceClaimingTwoGibibytesAndKeepsQuantizing() {
    String job = newJob();
    CheckpointRef claim = new CheckpointRef(CheckpointRef.sha256Hex(randomBytes(16)), 1L << 31);
    CheckpointRef input = store.put(QatCheckpointFixture.qatCheckpoint());

    send(job, codec.encode(qatRound(job, claim)));
    send(job, codec.encode(qatRound(job, input)));

    single(awaitEvents(Topics.VALIDATE, job, 1), QuantizedModelReady.class);
    DeadLetter letter = single(awaitEvents(Topics.DLQ, job, 1), DeadLetter.class);
    assertThat(letter.errorType()).isEqualTo("CHECKPOINT_TOO_LARGE");
    assertThat(letter.reason())
        .contains("2147483648 bytes exceeds the maximum checkpoint size of 268435456");
  }

  private double skippedChunks() {
    return registry.get("qat.checkpoints.skipped.chunks").functionCounter().count();
  }

  /** One record with these chunk headers, keyed and partitioned as a chunk of {@code ref}. */
  private void writeChunk(
      CheckpointRef ref, String index, String count, String total, byte[] value) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(KafkaCheckpointStore.HEADER_SHA256, ascii(ref.sha256()));
    headers.add(KafkaCheckpointStore.HEADER_CHUNK_INDEX, ascii(index));
    headers.add(KafkaCheckpointStore.HEADER_CHUNK_COUNT, ascii(count));
    headers.add(KafkaCheckpointStore.HEADER_TOTAL_BYTES, ascii(total));
    int partition =
        KafkaCheckpointStore.partitionFor(ref.sha256(), Topics.CHECKPOINTS_SPEC.partitions());
    topics.send(new ProducerRecord<>(Topics.CHECKPOINTS, partition, ref.sha256(), value, headers));
  }

  @Test
  void retriesACheckpointReadThatFailedTransientlyAndQuantizesWithoutADeadLetter() {
    String job = newJob();
    CheckpointRef input = store.put(QatCheckpointFixture.qatCheckpoint());
    ((FlakyCheckpointStore) store).failReads(input, 2);
    double retriesBefore = retries();

    send(job, codec.encode(qatRound(job, input)));

    QuantizedModelReady ready =
        single(awaitEvents(Topics.VALIDATE, job, 1), QuantizedModelReady.class);
    assertThat(ready.round()).isEqualTo(1);
    assertThat(retries() - retriesBefore).isEqualTo(2.0);
    assertThat(events(Topics.DLQ, job, DeadLetter.class)).isEmpty();
    assertThat(events(Topics.STATUS, job, StatusUpdate.class))
        .noneMatch(s -> s.stage().equals("error"));
  }

  private double retries() {
    return registry.counter(RecordGuard.RETRIES_METRIC, "service", "quantizer-service").count();
  }

  @Test
  void deadLettersARecordThatKilledTheQuantizerTooOftenWithoutQuantizingIt() throws Exception {
    String job = newJob();
    CheckpointRef input = store.put(QatCheckpointFixture.qatCheckpoint());
    TopicPartition partition = partitionOf(Topics.QUANTIZE, job);
    long offset = endOffset(partition);
    // Three earlier deliveries of this record started and never finished: the process died.
    new RecordAttempts(stateDir.resolve("attempts"))
        .set(partition.topic(), partition.partition(), offset, 3);

    send(job, codec.encode(qatRound(job, input)));

    DeadLetter letter = single(awaitEvents(Topics.DLQ, job, 1), DeadLetter.class);
    assertThat(letter.errorType()).isEqualTo("POISON_PILL");
    assertThat(letter.offset()).isEqualTo(offset);
    assertThat(letter.reason()).contains("started 3 times");
    assertErrorStatus(job, "POISON_PILL");
    assertThat(events(Topics.VALIDATE, job, QuantizedModelReady.class)).isEmpty();
    assertThat(
            new RecordAttempts(stateDir.resolve("attempts"))
                .count(Topics.QUANTIZE, partition.partition(), offset))
        .isZero();
  }

  /** The partition Kafka's default partitioner gives {@code key} on {@code topic}. */
  private TopicPartition partitionOf(String topic, String key) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
      int partitions =
          admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
      return new TopicPartition(topic, KafkaCheckpointStore.partitionFor(key, partitions));
    }
  }

  private long endOffset(TopicPartition partition) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
      return admin
          .listOffsets(Map.of(partition, OffsetSpec.latest()))
          .partitionResult(partition)
          .get()
          .offset();
    }
  }

  private static String newJob() {
    return "job-" + UUID.randomUUID();
  }

  private static FloatCheckpointReady qatRound(String job, CheckpointRef checkpoint) {
    return new FloatCheckpointReady(
        QatEvent.newEventId(),
        job,
        1,
        checkpoint,
        Instant.now(),
        QatCheckpointFixture.SPEC,
        false,
        Map.of("loss", 0.9));
  }

  private ObjectNode tree(QatEvent event) throws Exception {
    return (ObjectNode) json.readTree(codec.encode(event));
  }

  private void send(String key, byte[] value) {
    topics.send(Topics.QUANTIZE, key, value);
  }

  /** Writes {@code bytes} as the only chunk of {@code ref}, where the store will look for it. */
  private void writeSingleChunk(CheckpointRef ref, byte[] bytes) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(KafkaCheckpointStore.HEADER_SHA256, ascii(ref.sha256()));
    headers.add(KafkaCheckpointStore.HEADER_CHUNK_INDEX, ascii("0"));
    headers.add(KafkaCheckpointStore.HEADER_CHUNK_COUNT, ascii("1"));
    headers.add(KafkaCheckpointStore.HEADER_TOTAL_BYTES, ascii(Long.toString(ref.bytes())));
    int partition =
        KafkaCheckpointStore.partitionFor(ref.sha256(), Topics.CHECKPOINTS_SPEC.partitions());
    topics.send(new ProducerRecord<>(Topics.CHECKPOINTS, partition, ref.sha256(), bytes, headers));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

  private Checkpoint fetch(CheckpointRef ref) {
    return checkpoints.decode(store.get(ref, Duration.ofSeconds(30)), ref.sha256());
  }

  private List<QatEvent> awaitEvents(String topic, String job, int count) {
    return topics.await(topic, keyed(job), count, WAIT).stream().map(Received::event).toList();
  }

  /** Every event of {@code type} keyed by {@code job} on {@code topic}; each record must decode. */
  private <T extends QatEvent> List<T> events(String topic, String job, Class<T> type) {
    return topics.readToEnd(topic, keyed(job)).stream()
        .map(Received::event)
        .filter(type::isInstance)
        .map(type::cast)
        .toList();
  }

  /** Exactly one error status reached the job, naming {@code errorType}. */
  private void assertErrorStatus(String job, String errorType) {
    topics.await(Topics.STATUS, keyed(job).and(QuantizeListenerTest::isError), 1, WAIT);
    List<StatusUpdate> errors =
        events(Topics.STATUS, job, StatusUpdate.class).stream()
            .filter(s -> s.stage().equals("error"))
            .toList();
    assertThat(errors)
        .singleElement()
        .satisfies(s -> assertThat(s.message()).startsWith(errorType + ":"));
  }

  private static boolean isError(Received record) {
    return record.event() instanceof StatusUpdate s && s.stage().equals("error");
  }

  private static <T> T single(List<QatEvent> events, Class<T> type) {
    assertThat(events).hasSize(1);
    assertThat(events.get(0)).isInstanceOf(type);
    return type.cast(events.get(0));
  }
}
