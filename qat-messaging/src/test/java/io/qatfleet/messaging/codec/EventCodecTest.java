package io.qatfleet.messaging.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.core.train.TrainingSpec;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.codec.EventDecodingException.Reason;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.SampleEvents;
import io.qatfleet.messaging.event.ValidationCompleted;
import io.qatfleet.messaging.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EventCodecTest {

  private static final Instant NOW = Instant.parse("2026-03-02T08:00:00Z");
  private final EventCodec codec = new EventCodec(Clock.fixed(NOW, ZoneOffset.UTC));
  private final ObjectMapper json = new ObjectMapper();

  static Stream<QatEvent> events() {
    return SampleEvents.all().stream();
  }

  @ParameterizedTest
  @MethodSource("events")
  void roundTripsEvent(QatEvent event) throws Exception {
    assertThat(codec.decode(codec.encode(event))).isEqualTo(event);
  }

  @Test
  void hasSampleOfEveryEventType() {
    assertThat(SampleEvents.all().stream().map(e -> e.getClass().getSimpleName()))
        .containsExactlyElementsOf(codec.typeNames());
  }

  @Test
  void writesSchemaVersionAndTypeFirst() throws Exception {
    String text = new String(codec.encode(SampleEvents.all().get(1)), StandardCharsets.UTF_8);
    assertThat(text).startsWith("{\"schemaVersion\":1,\"type\":\"TrainRequested\",");
    assertThat(json.readTree(text).get("timestamp").asText())
        .isEqualTo("2026-03-01T12:00:00.123456Z");
  }

  @Test
  void writesDecisionInLowercase() throws Exception {
    ObjectNode tree = (ObjectNode) json.readTree(codec.encode(SampleEvents.all().get(4)));
    assertThat(tree.get("decision").asText()).isEqualTo("retrain");
  }

  @Test
  void rejectsInvalidJson() {
    assertFails("{\"schemaVersion\":1,".getBytes(StandardCharsets.UTF_8), Reason.MALFORMED_JSON)
        .hasMessageStartingWith("MALFORMED_JSON: ");
  }

  @Test
  void rejectsJsonThatIsNotObject() {
    assertFails(bytes("[1,2]"), Reason.MALFORMED_JSON).hasMessageContaining("got ARRAY");
  }

  @Test
  void rejectsNullAndEmptyValue() {
    assertFails(null, Reason.MALFORMED_JSON).hasMessageContaining("value is null");
    assertFails(new byte[0], Reason.MALFORMED_JSON).hasMessageContaining("value is empty");
  }

  @Test
  void rejectsUnknownSchemaVersion() {
    assertFails(edit(0, n -> n.put("schemaVersion", 2)), Reason.UNKNOWN_SCHEMA_VERSION)
        .hasMessageContaining("schemaVersion 2 is not supported; this build reads 1");
  }

  @Test
  void rejectsMissingSchemaVersion() {
    assertFails(edit(0, n -> n.remove("schemaVersion")), Reason.UNKNOWN_SCHEMA_VERSION)
        .hasMessageContaining("schemaVersion is missing");
  }

  @Test
  void rejectsUnknownType() {
    assertFails(edit(0, n -> n.put("type", "ModelDeleted")), Reason.UNKNOWN_TYPE)
        .hasMessageContaining("type 'ModelDeleted' is not an event");
  }

  @Test
  void rejectsMissingType() {
    assertFails(edit(0, n -> n.remove("type")), Reason.UNKNOWN_TYPE)
        .hasMessageContaining("type is missing");
  }

  @Test
  void rejectsMissingRequiredField() {
    assertFails(edit(1, n -> n.remove("round")), Reason.INVALID_FIELD)
        .hasMessageContaining("TrainRequested is missing required field 'round'");
  }

  @Test
  void rejectsMissingNullableField() {
    assertFails(edit(0, n -> n.remove("checkpoint")), Reason.INVALID_FIELD)
        .hasMessageContaining("JobSubmitted is missing required field 'checkpoint'");
  }

  @Test
  void decodesApprovalWrittenBeforeItWasSigned() throws Exception {
    byte[] old =
        edit(
            6,
            n ->
                n.remove(java.util.List.of("thresholds", "thresholdSource", "keyId", "signature")));

    ModelApproved approval = (ModelApproved) codec.decode(old);

    assertThat(approval.signature()).isNull();
    assertThat(approval.keyId()).isNull();
    assertThat(approval.thresholds()).isNull();
    assertThat(approval.version()).isEqualTo(3);
  }

  @Test
  void decodesReportWrittenBeforeItNamedItsBar() throws Exception {
    ValidationCompleted report =
        (ValidationCompleted) codec.decode(edit(4, n -> n.remove("thresholdSource")));
    assertThat(report.thresholdSource()).isNull();
  }

  @Test
  void decodesReportWrittenBeforeItCarriedSensitivity() throws Exception {
    ValidationCompleted report =
        (ValidationCompleted) codec.decode(edit(4, n -> n.remove("sensitivity")));
    assertThat(report.sensitivity()).isNull();
    assertThat(report.sensitivityByLayer()).isEmpty();
  }

  @Test
  void readsClassNamesAndReportsWrittenWithoutThem() throws Exception {
    ValidationCompleted named =
        (ValidationCompleted)
            codec.decode(edit(4, n -> n.putArray("classNames").add("ant").add("bee")));
    assertThat(named.classNames()).containsExactly("ant", "bee");
    ValidationCompleted older =
        (ValidationCompleted) codec.decode(edit(4, n -> n.remove("classNames")));
    assertThat(older.classNames()).isNull();
  }

  @Test
  void rejectsMoreClassNamesThanLabels() {
    assertFails(
            edit(
                4,
                n -> {
                  ArrayNode names = n.putArray("classNames");
                  for (int i = 0; i <= ValidationCompleted.MAX_CLASS_NAMES; i++) {
                    names.add("c" + i);
                  }
                }),
            Reason.INVALID_FIELD)
        .hasMessageContaining("classNames must hold at most 256 names");
  }

  @Test
  void readsSensitivityByLayer() throws Exception {
    ValidationCompleted report = (ValidationCompleted) codec.decode(edit(4, n -> {}));
    assertThat(report.sensitivityByLayer().get(0).accuracyDrop()).isEqualTo(0.012);
    assertThat(report.sensitivityByLayer().get(1).name()).isEqualTo("output1");
  }

  @Test
  void rejectsSensitivityOutOfLayerOrder() {
    assertFails(
            edit(4, n -> ((ObjectNode) n.get("sensitivity").get(1)).put("layer", 0)),
            Reason.INVALID_FIELD)
        .hasMessageContaining("sensitivity[1].layer: must be 1");
  }

  @Test
  void rejectsSensitivityLongerThanLayerBound() {
    assertFails(
            edit(
                4,
                n -> {
                  ArrayNode table = n.putArray("sensitivity");
                  for (int i = 0; i <= LayerSensitivity.MAX_LAYERS; i++) {
                    table
                        .addObject()
                        .put("layer", i % LayerSensitivity.MAX_LAYERS)
                        .put("name", "dense")
                        .put("bits", 4)
                        .put("accuracyDrop", 0.0)
                        .put("lossIncrease", 0.0);
                  }
                }),
            Reason.INVALID_FIELD)
        .hasMessageContaining("sensitivity: at most " + LayerSensitivity.MAX_LAYERS + " layers");
  }

  @Test
  void rejectsSensitivityEntryWithBadOrMissingValue() {
    assertFails(
            edit(4, n -> ((ObjectNode) n.get("sensitivity").get(0)).put("accuracyDrop", 7.0)),
            Reason.INVALID_FIELD)
        .hasMessageContaining("accuracyDrop: must be in [-1, 1], was 7.0");
    assertFails(
            edit(4, n -> ((ObjectNode) n.get("sensitivity").get(0)).put("name", "x".repeat(65))),
            Reason.INVALID_FIELD)
        .hasMessageContaining("name: must be 1..64 characters");
    assertFails(
            edit(4, n -> ((ObjectNode) n.get("sensitivity").get(0)).remove("lossIncrease")),
            Reason.INVALID_FIELD)
        .hasMessageContaining("lossIncrease");
  }

  @Test
  void decodesSendBackWrittenBeforeRemediesWithoutOne() throws Exception {
    RetrainRequested old = (RetrainRequested) codec.decode(edit(5, n -> n.remove("remedy")));
    assertThat(old.remedy()).isNull();
    assertThat(old.epochs()).isEqualTo(4);
  }

  @Test
  void rejectsRemedyOutOfBoundsNamingTheField() {
    assertFails(
            edit(5, n -> ((ObjectNode) n.get("remedy").get("distillation")).put("alpha", 1.5)),
            Reason.INVALID_FIELD)
        .hasMessageContaining("distillation.alpha: must be in [0, 1], got 1.5");
    assertFails(
            edit(
                5,
                n -> ((ObjectNode) n.get("remedy").get("distillation")).put("temperature", -2.0)),
            Reason.INVALID_FIELD)
        .hasMessageContaining("distillation.temperature");
    assertFails(
            edit(5, n -> ((ObjectNode) n.get("remedy").get("weightBits")).put("1", 9)),
            Reason.INVALID_FIELD)
        .hasMessageContaining("weightBits['1'] must be in 1..8, was 9");
    assertFails(
            edit(5, n -> ((ObjectNode) n.get("remedy").get("weightBits")).put("x", 4)),
            Reason.INVALID_FIELD)
        .hasMessageContaining("weightBits keys must be layer indices");
    assertFails(
            edit(5, n -> ((ObjectNode) n.get("remedy")).putNull("teacher")), Reason.INVALID_FIELD)
        .hasMessageContaining("teacher must be present exactly when distillation is");
    assertFails(
            edit(5, n -> ((ObjectNode) n.get("remedy")).putArray("changes")), Reason.INVALID_FIELD)
        .hasMessageContaining("changes must have 1..16 lines");
  }

  @Test
  void stillRequiresFieldsOfTheFirstSchemaOfAnEventWithOptionalOnes() {
    assertFails(edit(6, n -> n.remove("spec")), Reason.INVALID_FIELD)
        .hasMessageContaining("ModelApproved is missing required field 'spec'");
  }

  @Test
  void readsJobSubmittedWrittenBeforeOwnersAsOwnerless() throws Exception {
    JobSubmitted decoded = (JobSubmitted) codec.decode(edit(0, n -> n.remove("owner")));
    assertThat(decoded.owner()).isNull();
    assertThat(decoded.jobId()).isEqualTo(SampleEvents.JOB);
    assertThat(decoded.spec()).isEqualTo(SampleEvents.spec());
  }

  @Test
  void rejectsBlankOwner() {
    assertFails(edit(0, n -> n.put("owner", " ")), Reason.INVALID_FIELD)
        .hasMessageContaining("owner must not be blank");
  }

  @Test
  void rejectsModelClaimWithoutOwner() {
    assertFails(edit(11, n -> n.remove("owner")), Reason.INVALID_FIELD)
        .hasMessageContaining("ModelClaimed is missing required field 'owner'");
  }

  @Test
  void rejectsMissingFieldOfNestedRecord() {
    assertFails(
            edit(2, n -> ((ObjectNode) n.get("checkpoint")).remove("bytes")), Reason.INVALID_FIELD)
        .hasMessageContaining("missing required field 'checkpoint.bytes'");
  }

  @Test
  void rejectsMissingFieldOfRecordInList() {
    assertFails(
            edit(4, n -> ((ObjectNode) n.get("thresholdResults").get(0)).remove("quantizedValue")),
            Reason.INVALID_FIELD)
        .hasMessageContaining(
            "ValidationCompleted is missing required field 'thresholdResults[0].quantizedValue'");
  }

  @Test
  void readsSpecWithMissingSectionsAsDefaults() throws Exception {
    byte[] bytes =
        edit(
            0,
            n -> {
              ObjectNode spec = (ObjectNode) n.get("spec");
              spec.remove("training");
              spec.remove("maxRounds");
            });

    JobSubmitted job = (JobSubmitted) codec.decode(bytes);

    assertThat(job.spec().training()).isEqualTo(TrainingSpec.defaults());
    assertThat(job.spec().maxRounds()).isEqualTo(JobSpec.DEFAULT_MAX_ROUNDS);
  }

  @Test
  void rejectsFieldValueTheEventForbids() {
    assertFails(edit(1, n -> n.put("epochs", -1)), Reason.INVALID_FIELD)
        .hasMessageContaining("epochs must be >= 0, was -1");
  }

  @Test
  void rejectsFieldOfWrongJsonType() {
    assertFails(edit(1, n -> n.put("round", "one")), Reason.INVALID_FIELD)
        .hasMessageContaining("'round'");
  }

  @Test
  void rejectsNullForPrimitiveField() {
    assertFails(edit(1, n -> n.putNull("epochs")), Reason.INVALID_FIELD)
        .hasMessageContaining("'epochs'");
  }

  @Test
  void rejectsUnknownField() {
    assertFails(edit(1, n -> n.put("priority", 3)), Reason.INVALID_FIELD)
        .hasMessageContaining("priority");
  }

  @Test
  void rejectsJobWhoseSpecHasViolations() {
    assertFails(
            edit(0, n -> ((ObjectNode) n.get("spec")).put("maxRounds", 0)), Reason.INVALID_FIELD)
        .hasMessageContaining("maxRounds: must be in 1..20, got 0");
  }

  @Test
  void rejectsUnknownFieldInsideSpec() {
    assertFails(
            edit(0, n -> ((ObjectNode) n.get("spec")).put("maxRoundz", 2)), Reason.INVALID_FIELD)
        .hasMessageContaining("maxRoundz");
  }

  @Test
  void deadLetterKeepsOriginalBytesKeyAndPosition() {
    byte[] original = {'{', '"', 'x', (byte) 0xc3, 0, 7};
    ConsumerRecord<String, byte[]> record =
        new ConsumerRecord<>("qat.quantize", 2, 99L, "job-3", original);
    EventDecodingException error = decodeError(original);

    DeadLetter letter = codec.toDeadLetter(record, error);

    assertThat(letter.originalBytes()).isEqualTo(original);
    assertThat(letter.originalKey()).isEqualTo("job-3");
    assertThat(letter.sourceTopic()).isEqualTo("qat.quantize");
    assertThat(letter.partition()).isEqualTo(2);
    assertThat(letter.offset()).isEqualTo(99L);
    assertThat(letter.errorType()).isEqualTo("MALFORMED_JSON");
    assertThat(letter.reason()).isEqualTo(error.getMessage());
    assertThat(letter.jobId()).isEqualTo(DeadLetter.UNKNOWN_JOB);
    assertThat(letter.timestamp()).isEqualTo(NOW);
  }

  @Test
  void deadLetterNamesJobAndRoundOfUndecodableEvent() throws Exception {
    byte[] original = edit(1, n -> n.put("schemaVersion", 9));
    ConsumerRecord<String, byte[]> record =
        new ConsumerRecord<>("qat.train", 0, 5L, null, original);

    DeadLetter letter = codec.toDeadLetter(record, decodeError(original));

    assertThat(letter.jobId()).isEqualTo(SampleEvents.JOB);
    assertThat(letter.round()).isEqualTo(1);
    assertThat(letter.errorType()).isEqualTo("UNKNOWN_SCHEMA_VERSION");
    assertThat(codec.decode(codec.encode(letter))).isEqualTo(letter);
  }

  @Test
  void deadLetterOfNullValueHoldsEmptyBytes() {
    ConsumerRecord<String, byte[]> record = new ConsumerRecord<>("qat.jobs", 0, 0L, "k", null);
    DeadLetter letter = codec.toDeadLetter(record, new IllegalStateException("boom"));
    assertThat(letter.originalBytes()).isEmpty();
    assertThat(letter.errorType()).isEqualTo("IllegalStateException");
    assertThat(letter.reason()).isEqualTo("boom");
  }

  @Test
  void deadLetterOfHostileRecordFitsTheDeadLetterTopic() {
    // The largest value an event topic takes, all of it one job id, under a 1 MB key: copied as
    // they were, the letter would be over qat.dlq's limit, and its publisher would retry forever.
    String hugeId = "a".repeat(Topics.EVENT_MAX_MESSAGE_BYTES - 20);
    byte[] original = ("{\"jobId\":\"" + hugeId + "\"}").getBytes(StandardCharsets.UTF_8);
    assertThat(original.length).isLessThanOrEqualTo(Topics.EVENT_MAX_MESSAGE_BYTES);
    ConsumerRecord<String, byte[]> record =
        new ConsumerRecord<>("qat.triggers", 0, 7L, hugeId, original);

    DeadLetter letter = codec.toDeadLetter(record, new IllegalArgumentException("bad: " + hugeId));

    assertThat(letter.jobId()).isEqualTo(DeadLetter.UNKNOWN_JOB);
    assertThat(letter.originalKey()).isNull();
    assertThat(letter.originalBytes()).isEqualTo(original);
    assertThat(letter.reason())
        .hasSizeLessThan(EventCodec.MAX_DEAD_LETTER_REASON_CHARS + 200)
        .startsWith("bad: aaa")
        .contains("(" + ("bad: " + hugeId).length() + " characters)")
        .endsWith("[key of " + hugeId.length() + " characters not kept]");
    assertThat(codec.encode(letter).length).isLessThan(Topics.DLQ_SPEC.maxMessageBytes() - 4096);
  }

  @Test
  void deadLetterOfValueBeyondTheEventLimitKeepsItsDigestOnly() {
    // A compressed batch may decompress beyond the topic's max.message.bytes.
    byte[] original = new byte[EventCodec.MAX_DEAD_LETTER_VALUE_BYTES + 1];
    ConsumerRecord<String, byte[]> record =
        new ConsumerRecord<>("qat.train", 1, 3L, "job-9", original);

    DeadLetter letter = codec.toDeadLetter(record, new IllegalStateException("too big"));

    assertThat(letter.originalBytes()).isEmpty();
    assertThat(letter.originalKey()).isEqualTo("job-9");
    assertThat(letter.reason())
        .isEqualTo(
            "too big [value of "
                + original.length
                + " bytes not kept, over "
                + EventCodec.MAX_DEAD_LETTER_VALUE_BYTES
                + "; SHA-256 "
                + CheckpointRef.sha256Hex(original)
                + "]");
  }

  private EventDecodingException decodeError(byte[] bytes) {
    try {
      codec.decode(bytes);
    } catch (EventDecodingException e) {
      return e;
    }
    throw new AssertionError("decoded without error");
  }

  private org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> assertFails(
      byte[] bytes, Reason reason) {
    ThrowingCallable decode = () -> codec.decode(bytes);
    assertThatThrownBy(decode)
        .isInstanceOfSatisfying(
            EventDecodingException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    return assertThatThrownBy(decode);
  }

  private byte[] edit(int sample, Consumer<ObjectNode> change) {
    try {
      ObjectNode tree = (ObjectNode) json.readTree(codec.encode(SampleEvents.all().get(sample)));
      change.accept(tree);
      return json.writeValueAsBytes(tree);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
