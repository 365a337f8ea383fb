package io.qatfleet.messaging.deadletter;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.train.NonFiniteLossException;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointTransportException;
import io.qatfleet.messaging.codec.EventDecodingException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every failure a service meets gets one of the shared reasons, and distinct ones stay distinct.
 */
class RejectionReasonTest {

  @Test
  void classifiesEachKindOfFailure() {
    assertThat(
            RejectionReason.of(
                new EventDecodingException(EventDecodingException.Reason.UNKNOWN_TYPE, "x")))
        .isEqualTo(RejectionReason.UNKNOWN_TYPE);
    CheckpointRef ref = CheckpointRef.of(new byte[] {1});
    assertThat(
            RejectionReason.of(
                new CheckpointTransportException(
                    CheckpointTransportException.Reason.DIGEST_MISMATCH, ref, "x")))
        .isEqualTo(RejectionReason.CHECKPOINT_DIGEST_MISMATCH);
    assertThat(RejectionReason.of(new RejectedInputException(RejectionReason.UNKNOWN_MODEL, "x")))
        .isEqualTo(RejectionReason.UNKNOWN_MODEL);
    assertThat(RejectionReason.of(new NonFiniteLossException(Double.NaN, 0, 3, 1e-3)))
        .isEqualTo(RejectionReason.NON_FINITE_LOSS);
    assertThat(RejectionReason.of(new IllegalStateException("boom")))
        .isEqualTo(RejectionReason.PROCESSING_FAILED);
  }

  @Test
  void decodingAndTransportReasonsMapOneToOne() {
    Set<RejectionReason> decoding = EnumSet.noneOf(RejectionReason.class);
    Arrays.stream(EventDecodingException.Reason.values())
        .forEach(r -> decoding.add(RejectionReason.of(r)));
    assertThat(decoding).hasSize(EventDecodingException.Reason.values().length);
    Set<RejectionReason> transport = EnumSet.noneOf(RejectionReason.class);
    Arrays.stream(CheckpointTransportException.Reason.values())
        .forEach(r -> transport.add(RejectionReason.of(r)));
    assertThat(transport).hasSize(CheckpointTransportException.Reason.values().length);
    assertThat(transport).doesNotContainAnyElementsOf(decoding);
  }
}
