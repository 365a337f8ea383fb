package io.qatfleet.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.checkpoint.CheckpointTransportException;
import io.qatfleet.messaging.checkpoint.CheckpointTransportException.Reason;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.integrity.EventSeal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet's fault rules around a listener's work: transient failures retried and never parked,
 * poison pills parked. The work here does what the listeners do: fetch a checkpoint, wrap a store
 * failure as the stage's {@link RejectedInputException}, and dead-letter whatever fails.
 */
class RecordGuardTest {

  private static final byte[] CHECKPOINT = "weights".getBytes(StandardCharsets.UTF_8);
  private static final CheckpointRef REF = CheckpointRef.of(CHECKPOINT);

  @TempDir Path stateDir;

  private final EventCodec codec = new EventCodec();
  private final EventSeal seal = EventSeal.fromBase64("test key", EventSeal.generateKey());
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final RecordingEmitter status = RecordingEmitter.working();
  private final RecordingEmitter dlq = RecordingEmitter.working();
  private final List<Duration> waits = new ArrayList<>();

  private RecordAttempts attempts() {
    return new RecordAttempts(stateDir.resolve("attempts"));
  }

  private DeadLetters deadLetters(boolean brokerReachable) {
    FleetPublisher publisher = new FleetPublisher(codec, seal, Duration.ofSeconds(5), status, dlq);
    return new DeadLetters(
        codec, publisher, new Failures(() -> brokerReachable), registry, "quantizer-service");
  }

  private RecordGuard guard(boolean brokerReachable) {
    return new RecordGuard(
        attempts(),
        new RetryPolicy(4, Duration.ofSeconds(1), Duration.ofSeconds(3)),
        3,
        new Failures(() -> brokerReachable),
        deadLetters(brokerReachable),
        seal,
        waits::add,
        registry,
        "quantizer-service");
  }

  private ConsumerRecord<String, byte[]> record() {
    ConsumerRecord<String, byte[]> record = unsealedRecord();
    seal.sealInto(record.headers(), record.key(), record.value());
    return record;
  }

  private static ConsumerRecord<String, byte[]> unsealedRecord() {
    return new ConsumerRecord<>(
        "qat.quantize", 1, 77L, "job-1", "{}".getBytes(StandardCharsets.UTF_8));
  }

  /** A store whose reads fail with {@code reason} {@code failures} times, then succeed. */
  private static CheckpointStore failingStore(Reason reason, int failures) {
    AtomicInteger left = new AtomicInteger(failures);
    return new CheckpointStore() {
      @Override
      public CheckpointRef put(byte[] bytes) {
        return CheckpointRef.of(bytes);
      }

      @Override
      public byte[] get(CheckpointRef ref, Duration timeout) {
        if (left.getAndDecrement() > 0) {
          throw new CheckpointTransportException(reason, ref, "broker unavailable");
        }
        return CHECKPOINT;
      }
    };
  }

  /**
   * The work of a stage on {@code record()}: fetch, and dead-letter what fails, as listeners do.
   */
  private RecordGuard.Work stage(
      CheckpointStore store, DeadLetters deadLetters, List<byte[]> processed) {
    return () -> {
      try {
        byte[] bytes;
        try {
          bytes = store.get(REF, Duration.ofSeconds(1));
        } catch (CheckpointTransportException e) {
          throw new RejectedInputException(
              RejectionReason.of(e.reason()), "input checkpoint: " + e.getMessage(), e);
        }
        processed.add(bytes);
      } catch (RuntimeException e) {
        deadLetters.reject(record(), e, DeadLetters.ERROR_STAGE);
      }
    };
  }

  private List<DeadLetter> deadLettersSent() {
    List<DeadLetter> letters = new ArrayList<>();
    for (var message : dlq.sent) {
      try {
        letters.add((DeadLetter) codec.decode(message.getPayload()));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
    return letters;
  }

  @Test
  void retriesACheckpointTransportFailureAndProcessesTheRecordOnceItClears() {
    List<byte[]> processed = new ArrayList<>();
    RecordGuard guard = guard(true);

    guard.process(
        record(),
        true,
        DeadLetters.ERROR_STAGE,
        stage(failingStore(Reason.TRANSPORT, 2), deadLetters(true), processed));

    assertThat(processed).containsExactly(CHECKPOINT);
    assertThat(dlq.sent).isEmpty();
    assertThat(registry.counter(RecordGuard.RETRIES_METRIC, "service", "quantizer-service").count())
        .isEqualTo(2.0);
    assertThat(attempts().count("qat.quantize", 1, 77L)).isZero();
  }

  @Test
  void retriesATimedOutCheckpointReadWhileTheBrokerIsDown() {
    List<byte[]> processed = new ArrayList<>();

    guard(false)
        .process(
            record(),
            true,
            DeadLetters.ERROR_STAGE,
            stage(failingStore(Reason.NOT_FOUND, 1), deadLetters(false), processed));

    assertThat(processed).hasSize(1);
    assertThat(dlq.sent).isEmpty();
  }

  @Test
  void parksAMissingCheckpointAtOnceWhenTheBrokerAnswers() {
    List<byte[]> processed = new ArrayList<>();

    guard(true)
        .process(
            record(),
            true,
            DeadLetters.ERROR_STAGE,
            stage(failingStore(Reason.NOT_FOUND, 1), deadLetters(true), processed));

    assertThat(processed).isEmpty();
    assertThat(deadLettersSent())
        .extracting(DeadLetter::errorType)
        .containsExactly("CHECKPOINT_NOT_FOUND");
    assertThat(waits).isEmpty();
  }

  @Test
  void retriesAnOutcomeTheBrokerDidNotAcknowledgeUntilItDoes() {
    RecordingEmitter outcomes = RecordingEmitter.brokerDownFor(2);
    FleetPublisher publisher =
        new FleetPublisher(codec, seal, Duration.ofSeconds(5), status, outcomes);

    guard(true)
        .process(
            record(),
            true,
            DeadLetters.ERROR_STAGE,
            () -> publisher.publish(outcomes, progress("job-1")));

    assertThat(outcomes.sent).hasSize(1);
    assertThat(dlq.sent).isEmpty();
    assertThat(waits).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
  }

  @Test
  void failsTheRecordWithoutADeadLetterWhenEveryTryFailsTransiently() {
    List<byte[]> processed = new ArrayList<>();

    assertThatThrownBy(
            () ->
                guard(true)
                    .process(
                        record(),
                        true,
                        DeadLetters.ERROR_STAGE,
                        stage(
                            failingStore(Reason.TRANSPORT, Integer.MAX_VALUE),
                            deadLetters(true),
                            processed)))
        .isInstanceOf(TransientFailureException.class)
        .hasMessageContaining("failed transiently on all 4 tries");

    assertThat(processed).isEmpty();
    assertThat(dlq.sent).isEmpty();
    assertThat(waits)
        .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(3));
    // The broker, not the record, was at fault: the failure does not count towards a poison pill.
    assertThat(attempts().count("qat.quantize", 1, 77L)).isZero();
  }

  @Test
  void leavesARecordUncountedAndUnparkedWhenTheServiceStopsDuringIt() {
    attempts().set("qat.quantize", 1, 77L, 2);

    assertThatThrownBy(
            () ->
                guard(true)
                    .process(
                        record(),
                        true,
                        DeadLetters.ERROR_STAGE,
                        () -> {
                          throw new ServiceStoppingException("shutting down");
                        }))
        .isInstanceOf(ServiceStoppingException.class);

    assertThat(dlq.sent).isEmpty();
    assertThat(waits).isEmpty();
    // A shutdown is not the record's fault: the count is what it was before this delivery.
    assertThat(attempts().count("qat.quantize", 1, 77L)).isEqualTo(2);
  }

  @Test
  void countsADeathAfterProgressAsAFirstAttemptOfTheRest() {
    attempts().set("qat.quantize", 1, 77L, 2);
    RecordGuard guard = guard(true);

    assertThatThrownBy(
            () ->
                guard.process(
                    record(),
                    true,
                    DeadLetters.ERROR_STAGE,
                    () -> {
                      guard.madeProgress(); // an epoch checkpoint was saved
                      throw new IllegalStateException("the process dies after it");
                    }))
        .isInstanceOf(IllegalStateException.class);

    // Third start, but it got somewhere: the next delivery is not a poison pill.
    assertThat(attempts().count("qat.quantize", 1, 77L)).isEqualTo(1);
  }

  @Test
  void countsTheAttemptDurablyBeforeTheWorkStarts() {
    AtomicInteger seen = new AtomicInteger(-1);

    guard(true)
        .process(
            record(),
            true,
            DeadLetters.ERROR_STAGE,
            () -> seen.set(attempts().count("qat.quantize", 1, 77L)));

    assertThat(seen).hasValue(1);
    assertThat(attempts().count("qat.quantize", 1, 77L)).isZero();
  }

  @Test
  void parksARecordThatKilledTheServiceTooOftenWithoutProcessingIt() throws Exception {
    attempts().set("qat.quantize", 1, 77L, 3);
    List<byte[]> processed = new ArrayList<>();

    guard(true)
        .process(
            record(),
            true,
            DeadLetters.ERROR_STAGE,
            stage(failingStore(Reason.TRANSPORT, 0), deadLetters(true), processed));

    assertThat(processed).isEmpty();
    List<DeadLetter> letters = deadLettersSent();
    assertThat(letters).extracting(DeadLetter::errorType).containsExactly("POISON_PILL");
    assertThat(letters.get(0).reason()).contains("started 3 times");
    assertThat(letters.get(0).offset()).isEqualTo(77L);
    StatusUpdate told = (StatusUpdate) codec.decode(status.sent.get(0).getPayload());
    assertThat(told.message()).startsWith("POISON_PILL: ");
    assertThat(attempts().count("qat.quantize", 1, 77L)).isZero();
  }

  @Test
  void parksAnUnsealedPoisonPillAsUnsealedSoThatNoReplayCanSealIt() {
    attempts().set("qat.quantize", 1, 77L, 3);

    guard(true).process(unsealedRecord(), true, DeadLetters.ERROR_STAGE, () -> {});

    assertThat(deadLettersSent())
        .extracting(DeadLetter::errorType)
        .containsExactly("UNSEALED_EVENT");
    assertThat(attempts().count("qat.quantize", 1, 77L)).isZero();
  }

  @Test
  void processesARecordBelowThePoisonPillLimit() {
    attempts().set("qat.quantize", 1, 77L, 2);
    List<byte[]> processed = new ArrayList<>();

    guard(true)
        .process(
            record(),
            true,
            DeadLetters.ERROR_STAGE,
            stage(failingStore(Reason.TRANSPORT, 0), deadLetters(true), processed));

    assertThat(processed).hasSize(1);
    assertThat(dlq.sent).isEmpty();
  }

  @Test
  void keepsTheAttemptCountedWhenAnUnexpectedErrorEscapesTheWork() {
    assertThatThrownBy(
            () ->
                guard(true)
                    .process(
                        record(),
                        true,
                        DeadLetters.ERROR_STAGE,
                        () -> {
                          throw new IllegalStateException("bug");
                        }))
        .isInstanceOf(IllegalStateException.class);

    assertThat(attempts().count("qat.quantize", 1, 77L)).isEqualTo(1);
    assertThat(waits).isEmpty();
  }

  private static StatusUpdate progress(String jobId) {
    return new StatusUpdate(
        io.qatfleet.messaging.event.QatEvent.newEventId(),
        jobId,
        1,
        null,
        Instant.now(),
        "quantize",
        1,
        "done",
        null,
        null,
        null);
  }
}
