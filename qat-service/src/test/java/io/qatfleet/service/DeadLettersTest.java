package io.qatfleet.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.integrity.EventSeal;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

/** The shared dead-letter path: what is written, counted and told, and what a down broker does. */
class DeadLettersTest {
  private final EventCodec codec = new EventCodec();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final RecordingEmitter status = RecordingEmitter.working();
  private final EventSeal seal = EventSeal.fromBase64("test key", EventSeal.generateKey());

  private DeadLetters deadLetters(RecordingEmitter dlq) {
    FleetPublisher publisher = new FleetPublisher(codec, seal, Duration.ofSeconds(5), status, dlq);
    return new DeadLetters(
        codec, publisher, new Failures(() -> true), registry, "quantizer-service");
  }

  private double count(RejectionReason reason) {
    Counter c =
        registry
            .find(DeadLetters.METRIC)
            .tag("service", "quantizer-service")
            .tag("reason", reason.name())
            .counter();
    return c == null ? -1 : c.count();
  }

  private static ConsumerRecord<String, byte[]> record(String key, String value) {
    return new ConsumerRecord<>(
        "qat.quantize", 2, 41L, key, value.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void registersEveryReasonAtZeroBeforeTheFirstDeadLetter() {
    deadLetters(RecordingEmitter.working());
    for (RejectionReason reason : RejectionReason.values()) {
      assertThat(count(reason)).as(reason.name()).isEqualTo(0.0);
    }
  }

  @Test
  void parksUndecodableBytesUnderTheirReasonAndTellsTheJobNamedByTheKey() throws Exception {
    RecordingEmitter dlq = RecordingEmitter.working();
    RejectionReason reason =
        deadLetters(dlq)
            .reject(
                record("job-7", "{not json"),
                new io.qatfleet.messaging.codec.EventDecodingException(
                    io.qatfleet.messaging.codec.EventDecodingException.Reason.MALFORMED_JSON,
                    "not JSON"),
                DeadLetters.ERROR_STAGE);
    assertThat(reason).isEqualTo(RejectionReason.MALFORMED_JSON);
    assertThat(dlq.sent).hasSize(1);
    DeadLetter letter = (DeadLetter) codec.decode(dlq.sent.get(0).getPayload());
    assertThat(letter.errorType()).isEqualTo("MALFORMED_JSON");
    assertThat(letter.jobId()).isEqualTo("job-7");
    assertThat(letter.sourceTopic()).isEqualTo("qat.quantize");
    assertThat(letter.offset()).isEqualTo(41L);
    assertThat(new String(java.util.Base64.getDecoder().decode(letter.originalBase64())))
        .isEqualTo("{not json");
    assertThat(key(dlq.sent.get(0))).isEqualTo("job-7");
    assertThat(count(RejectionReason.MALFORMED_JSON)).isEqualTo(1.0);
    StatusUpdate told = (StatusUpdate) codec.decode(status.sent.get(0).getPayload());
    assertThat(told.jobId()).isEqualTo("job-7");
    assertThat(told.stage()).isEqualTo("error");
    assertThat(told.message()).startsWith("MALFORMED_JSON: ");
  }

  @Test
  void aForgedRecordIsParkedButTellsNoJob() throws Exception {
    // Otherwise anybody who can write to a topic could set a real job's stage to "error", or make
    // every trainer's job view hold a job for each made-up id.
    for (RejectionReason forged :
        List.of(RejectionReason.UNSEALED_EVENT, RejectionReason.BAD_SEAL)) {
      RecordingEmitter dlq = RecordingEmitter.working();
      deadLetters(dlq)
          .reject(
              record("job-6", "{\"jobId\":\"job-6\"}"),
              new RejectedInputException(forged, "no seal"),
              DeadLetters.ERROR_STAGE);
      DeadLetter letter = (DeadLetter) codec.decode(dlq.sent.get(0).getPayload());
      assertThat(letter.errorType()).isEqualTo(forged.name());
      assertThat(letter.jobId()).isEqualTo("job-6");
    }
    assertThat(status.sent).isEmpty();
  }

  @Test
  void noStatusStageTellsNoJobAndAnOverlongKeyNamesNone() throws Exception {
    RecordingEmitter dlq = RecordingEmitter.working();
    DeadLetters letters = deadLetters(dlq);
    letters.reject(
        record("job-4", "{not json"),
        new RejectedInputException(RejectionReason.MALFORMED_JSON, "not JSON"),
        null);
    String longKey = "k".repeat(QatEvent.MAX_JOB_ID_LENGTH + 1);
    letters.reject(
        record(longKey, "{}"),
        new RejectedInputException(RejectionReason.INVALID_SPEC, "bad"),
        DeadLetters.ERROR_STAGE);

    assertThat(((DeadLetter) codec.decode(dlq.sent.get(0).getPayload())).jobId())
        .isEqualTo("job-4");
    DeadLetter second = (DeadLetter) codec.decode(dlq.sent.get(1).getPayload());
    assertThat(second.jobId()).isEqualTo(DeadLetter.UNKNOWN_JOB);
    assertThat(second.originalKey()).isEqualTo(longKey);
    assertThat(status.sent).isEmpty();
  }

  @Test
  void anUnexpectedFailureIsProcessingFailedWithTheExceptionInTheReasonNotInTheTag()
      throws Exception {
    RecordingEmitter dlq = RecordingEmitter.working();
    deadLetters(dlq)
        .reject(record("job-8", "{}"), new IllegalStateException("index out of range"), "error");
    DeadLetter letter = (DeadLetter) codec.decode(dlq.sent.get(0).getPayload());
    assertThat(letter.errorType()).isEqualTo("PROCESSING_FAILED");
    assertThat(letter.reason()).startsWith("IllegalStateException: ");
    assertThat(count(RejectionReason.PROCESSING_FAILED)).isEqualTo(1.0);
  }

  @Test
  void aDeadLetterTheBrokerDoesNotTakeFailsTheRecordAndCountsNothing() {
    DeadLetters broken = deadLetters(RecordingEmitter.brokerDown());
    assertThatThrownBy(
            () ->
                broken.reject(
                    record("job-9", "{}"),
                    new RejectedInputException(RejectionReason.INVALID_SPEC, "bad"),
                    DeadLetters.ERROR_STAGE))
        .isInstanceOf(PublishException.class)
        .hasMessageContaining("DeadLetter for job job-9");
    assertThat(count(RejectionReason.INVALID_SPEC)).isEqualTo(0.0);
    assertThat(status.sent).isEmpty();
  }

  @Test
  void statusUpdatesClampProgressAndDropNonFiniteNumbers() throws Exception {
    FleetPublisher publisher =
        new FleetPublisher(codec, seal, Duration.ofSeconds(5), status, RecordingEmitter.working());
    publisher.status("job-1", 2, "qat", 1.7, "epoch", 3, Double.NaN, -5.0);
    StatusUpdate u = (StatusUpdate) codec.decode(status.sent.get(0).getPayload());
    assertThat(u.progress()).isEqualTo(1.0);
    assertThat(u.loss()).isNull();
    assertThat(u.samplesPerSecond()).isEqualTo(0.0);
    assertThat(key(status.sent.get(0))).isEqualTo("job-1");
  }

  @Test
  void sealsEveryRecordItSendsOverItsKeyAndValue() {
    RecordingEmitter dlq = RecordingEmitter.working();
    deadLetters(dlq)
        .reject(
            record("job-5", "{}"),
            new RejectedInputException(RejectionReason.INVALID_SPEC, "bad"),
            DeadLetters.ERROR_STAGE);
    for (Message<? extends byte[]> sent :
        List.<Message<? extends byte[]>>of(dlq.sent.get(0), status.sent.get(0))) {
      Headers headers =
          sent.getMetadata(OutgoingKafkaRecordMetadata.class).orElseThrow().getHeaders();
      String key = (String) key(sent);
      byte[] payload = sent.getPayload();
      seal.verify(key, payload, headers);
      byte[] altered = Arrays.copyOf(payload, payload.length);
      altered[altered.length - 2] ^= 1;
      assertThatThrownBy(() -> seal.verify(key, altered, headers))
          .isInstanceOfSatisfying(
              RejectedInputException.class,
              e -> assertThat(e.reason()).isEqualTo(RejectionReason.BAD_SEAL));
    }
  }

  private static Object key(Message<?> message) {
    return message
        .getMetadata(OutgoingKafkaRecordMetadata.class)
        .map(OutgoingKafkaRecordMetadata::getKey)
        .orElse(null);
  }
}
