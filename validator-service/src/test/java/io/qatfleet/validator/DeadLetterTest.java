package io.qatfleet.validator;

import static io.qatfleet.messaging.testing.EventTopics.ofJob;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.Decision;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.ValidationCompleted;
import io.qatfleet.messaging.testing.EventTopics;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.service.DeadLetters;
import io.qatfleet.validator.TestModels.Models;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bad input on {@code qat.validate} reaches {@code qat.dlq} with its reason and original bytes, an
 * error StatusUpdate names the job, and the consumer goes on with the next good event.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
class DeadLetterTest {

  private static final EventCodec CODEC = new EventCodec();

  private static final Duration WAIT = Duration.ofSeconds(90);

  @Inject CheckpointStore store;
  @Inject MeterRegistry meters;

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  @ConfigProperty(name = "qat.event-key")
  String eventKey;

  private EventTopics topics;

  private CheckpointRef baseline;
  private CheckpointRef integer;
  private CheckpointRef calibrated;

  @BeforeEach
  void connect() {
    topics = new EventTopics(bootstrapServers, eventKey);
  }

  @AfterEach
  void disconnect() {
    topics.close();
  }

  @BeforeEach
  void storeCheckpoints() {
    Models models = TestModels.models();
    baseline = store.put(models.baseline());
    integer = store.put(models.trainedInteger());
    calibrated = store.put(models.trainedCalibrated());
  }

  @Test
  void parksMalformedJsonAndKeepsConsuming() {
    String job = "job-" + UUID.randomUUID();
    byte[] garbage = "{\"schemaVersion\": 1, \"type\": \"Quantiz".getBytes(StandardCharsets.UTF_8);
    double before = dlqCount("MALFORMED_JSON");
    topics.send(Topics.VALIDATE, job, garbage);
    // The same partition (same key) then carries a good baseline, which is still evaluated.
    topics.send(Topics.VALIDATE, job, baselineEvent(job, spec()));

    DeadLetter letter = topics.await(Topics.DLQ, DeadLetter.class, ofJob(job), 1, WAIT).get(0);
    assertThat(letter.errorType()).isEqualTo("MALFORMED_JSON");
    assertThat(letter.sourceTopic()).isEqualTo(Topics.VALIDATE);
    assertThat(letter.originalKey()).isEqualTo(job);
    assertThat(letter.originalBytes()).isEqualTo(garbage);
    assertThat(errors(job)).hasSize(1);
    assertThat(errors(job).get(0).message()).startsWith("MALFORMED_JSON");
    assertThat(
            topics.await(Topics.STATUS, StatusUpdate.class, ofJob(job), 2, WAIT).stream()
                .map(StatusUpdate::stage))
        .contains("baseline-validation");
    assertThat(dlqCount("MALFORMED_JSON")).isEqualTo(before + 1);
  }

  @Test
  void parksUnknownSchemaVersion() throws Exception {
    String job = "job-" + UUID.randomUUID();
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode tree = (ObjectNode) mapper.readTree(CODEC.encode(baselineEvent(job, spec())));
    tree.put("schemaVersion", 99);
    topics.send(Topics.VALIDATE, job, mapper.writeValueAsBytes(tree));

    DeadLetter letter = topics.await(Topics.DLQ, DeadLetter.class, ofJob(job), 1, WAIT).get(0);
    assertThat(letter.errorType()).isEqualTo("UNKNOWN_SCHEMA_VERSION");
    assertThat(letter.reason()).contains("99");
    assertThat(errors(job)).extracting(StatusUpdate::jobId).containsExactly(job);
  }

  @Test
  void parksInvalidSpec() {
    String job = "job-" + UUID.randomUUID();
    JobSpec invalid =
        new JobSpec(
            "bad name!",
            TestModels.DATA,
            TestModels.MODEL,
            TestModels.QUANTIZATION,
            TestModels.TRAINING,
            TestModels.lenient(),
            0);
    topics.send(
        Topics.VALIDATE, job, ValidatorFlowTest.quantized(job, 1, invalid, integer, calibrated));

    DeadLetter letter = topics.await(Topics.DLQ, DeadLetter.class, ofJob(job), 1, WAIT).get(0);
    assertThat(letter.errorType()).isEqualTo("INVALID_SPEC");
    assertThat(letter.reason()).contains("name:").contains("maxRounds:");
    assertThat(letter.round()).isEqualTo(1);
    assertThat(errors(job)).hasSize(1);
  }

  @Test
  void parksOnnxModelThatOnnxRuntimeCannotLoad() {
    String job = "job-" + UUID.randomUUID();
    topics.send(Topics.VALIDATE, job, baselineEvent(job, spec()));
    byte[] notOnnx = "not an ONNX model".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    CheckpointRef onnx = store.put(notOnnx);
    topics.send(
        Topics.VALIDATE,
        job,
        ValidatorFlowTest.quantized(job, 1, spec(), integer, calibrated, onnx));

    DeadLetter letter = topics.await(Topics.DLQ, DeadLetter.class, ofJob(job), 1, WAIT).get(0);
    assertThat(letter.errorType()).isEqualTo("CORRUPT_CHECKPOINT");
    assertThat(letter.reason()).contains("ONNX model cannot be loaded by ONNX Runtime");
    assertThat(topics.readToEnd(Topics.STATUS, ValidationCompleted.class, ofJob(job))).isEmpty();
  }

  @Test
  void parksQuantizedModelWithoutBaseline() {
    String job = "job-" + UUID.randomUUID();
    topics.send(
        Topics.VALIDATE, job, ValidatorFlowTest.quantized(job, 1, spec(), integer, calibrated));

    DeadLetter letter = topics.await(Topics.DLQ, DeadLetter.class, ofJob(job), 1, WAIT).get(0);
    assertThat(letter.errorType()).isEqualTo("MISSING_BASELINE");
    assertThat(errors(job)).hasSize(1);
    assertThat(topics.readToEnd(Topics.STATUS, ValidationCompleted.class, ofJob(job))).isEmpty();
  }

  @Test
  void parksCheckpointWhoseChunksDoNotExistThenValidatesTheGoodOne() {
    String job = "job-" + UUID.randomUUID();
    JobSpec spec = spec();
    topics.send(Topics.VALIDATE, job, baselineEvent(job, spec));
    byte[] neverStored = ("not stored " + job).getBytes(StandardCharsets.UTF_8);
    CheckpointRef missing = CheckpointRef.of(neverStored);
    topics.send(
        Topics.VALIDATE, job, ValidatorFlowTest.quantized(job, 1, spec, missing, calibrated));
    topics.send(
        Topics.VALIDATE, job, ValidatorFlowTest.quantized(job, 1, spec, integer, calibrated));

    DeadLetter letter = topics.await(Topics.DLQ, DeadLetter.class, ofJob(job), 1, WAIT).get(0);
    assertThat(letter.errorType()).isEqualTo("CHECKPOINT_NOT_FOUND");
    assertThat(letter.reason()).contains(missing.shortId());
    assertThat(errors(job)).hasSize(1);
    ValidationCompleted report =
        topics.await(Topics.STATUS, ValidationCompleted.class, ofJob(job), 1, WAIT).get(0);
    assertThat(report.checkpoint()).isEqualTo(integer);
    assertThat(report.decision()).isEqualTo(Decision.PASS);
  }

  /**
   * The validator as a signing oracle: an outsider who knows a genuine integer checkpoint that
   * passes names it in a QuantizedModelReady for a job whose baseline was evaluated. Without the
   * fleet's seal it is parked unread: no report, no approval, nothing signed, no status.
   */
  @Test
  void parksUnsealedQuantizedModelAndSignsNothing() {
    String job = "job-" + UUID.randomUUID();
    JobSpec spec = spec();
    topics.send(Topics.VALIDATE, job, baselineEvent(job, spec));
    topics.sendAsIs(
        new ProducerRecord<>(
            Topics.VALIDATE,
            job,
            CODEC.encode(ValidatorFlowTest.quantized(job, 1, spec, integer, calibrated))));

    DeadLetter letter = topics.await(Topics.DLQ, DeadLetter.class, ofJob(job), 1, WAIT).get(0);
    assertThat(letter.errorType()).isEqualTo("UNSEALED_EVENT");
    assertThat(letter.sourceTopic()).isEqualTo(Topics.VALIDATE);
    // Nor is the job told: whoever writes to the topic cannot mark a job failed.
    assertThat(errors(job)).isEmpty();
    assertThat(topics.readToEnd(Topics.STATUS, ValidationCompleted.class, ofJob(job))).isEmpty();
    assertThat(topics.readToEnd(Topics.DEPLOY, ModelApproved.class, ofJob(job))).isEmpty();
  }

  private static JobSpec spec() {
    return TestModels.spec(
        "fashion-dlq-" + UUID.randomUUID().toString().substring(0, 8), TestModels.lenient(), 3);
  }

  private FloatCheckpointReady baselineEvent(String job, JobSpec spec) {
    return new FloatCheckpointReady(
        QatEvent.newEventId(), job, 0, baseline, Instant.now(), spec, true, Map.of());
  }

  private List<StatusUpdate> errors(String job) {
    return topics.readToEnd(Topics.STATUS, StatusUpdate.class, ofJob(job)).stream()
        .filter(s -> s.stage().equals(DeadLetters.ERROR_STAGE))
        .toList();
  }

  private double dlqCount(String errorType) {
    return meters
        .counter(DeadLetters.METRIC, "service", "validator-service", "reason", errorType)
        .count();
  }
}
