package io.qatfleet.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.train.NonFiniteLossException;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointTransportException;
import io.qatfleet.messaging.checkpoint.CheckpointTransportException.Reason;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/** Which failures are the environment's (retried) and which are the record's (dead letter). */
class FailuresTest {

  private static final CheckpointRef REF = CheckpointRef.of("x".getBytes(StandardCharsets.UTF_8));

  private final Failures brokerUp = new Failures(() -> true);
  private final Failures brokerDown = new Failures(() -> false);

  /** What a stage throws for a checkpoint it could not fetch: the store's failure, wrapped. */
  private static RejectedInputException fetchFailed(Reason reason) {
    CheckpointTransportException cause = new CheckpointTransportException(reason, REF, "failed");
    return new RejectedInputException(RejectionReason.of(reason), "input checkpoint", cause);
  }

  @Test
  void retriesAnOutcomeTheBrokerDidNotAcknowledge() {
    assertThat(brokerUp.isTransient(new PublishException("no ack", null))).isTrue();
  }

  @Test
  void retriesACheckpointTransportFailureWrappedByAStage() {
    assertThat(brokerUp.isTransient(fetchFailed(Reason.TRANSPORT))).isTrue();
  }

  @Test
  void retriesAKafkaTimeoutDeepInTheCauseChain() {
    RuntimeException error =
        new IllegalStateException("put failed", new TimeoutException("metadata"));
    assertThat(brokerUp.isTransient(error)).isTrue();
  }

  @Test
  void retriesATimedOutCheckpointReadWhileTheBrokerIsDown() {
    assertThat(brokerDown.isTransient(fetchFailed(Reason.NOT_FOUND))).isTrue();
    assertThat(brokerDown.isTransient(fetchFailed(Reason.MISSING_CHUNK))).isTrue();
  }

  @Test
  void parksATimedOutCheckpointReadWhenTheBrokerAnswers() {
    assertThat(brokerUp.isTransient(fetchFailed(Reason.NOT_FOUND))).isFalse();
    assertThat(brokerUp.isTransient(fetchFailed(Reason.MISSING_CHUNK))).isFalse();
  }

  @Test
  void parksACheckpointWhoseDigestIsWrongEvenWithTheBrokerDown() {
    assertThat(brokerDown.isTransient(fetchFailed(Reason.DIGEST_MISMATCH))).isFalse();
  }

  @Test
  void parksInputFaultsAndUnexpectedErrors() {
    assertThat(
            brokerDown.isTransient(
                new RejectedInputException(RejectionReason.INVALID_SPEC, "bad spec")))
        .isFalse();
    assertThat(
            brokerDown.isTransient(
                new EventDecodingException(
                    EventDecodingException.Reason.MALFORMED_JSON, "not JSON")))
        .isFalse();
    assertThat(brokerDown.isTransient(new NonFiniteLossException(Double.NaN, 1, 2, 0.001)))
        .isFalse();
    assertThat(brokerDown.isTransient(new IllegalStateException("bug"))).isFalse();
  }

  @Test
  void judgesByTheInputVerdictBeforeAKafkaErrorBelowIt() {
    RejectedInputException spec =
        new RejectedInputException(
            RejectionReason.SPEC_MISMATCH, "spec", new TimeoutException("unrelated"));
    assertThat(brokerUp.isTransient(spec)).isFalse();
  }
}
