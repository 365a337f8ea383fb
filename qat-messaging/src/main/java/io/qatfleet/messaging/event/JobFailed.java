package io.qatfleet.messaging.event;

import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;

/**
 * A job ended without an approved model: no rounds left, or an error it cannot recover from (a
 * corrupted checkpoint, an invalid spec). The best round so far is kept for inspection.
 *
 * @param round the round in which the job failed
 * @param checkpoint the checkpoint being processed when it failed, or null
 * @param reason what went wrong, for a person
 * @param bestRound the round with the best quantized metrics, or null if no round finished
 * @param bestCheckpoint that round's quantized checkpoint; null exactly when bestRound is null
 */
public record JobFailed(
    String eventId,
    String jobId,
    int round,
    CheckpointRef checkpoint,
    Instant timestamp,
    String reason,
    Integer bestRound,
    CheckpointRef bestCheckpoint)
    implements QatEvent {

  public JobFailed {
    Require.uuid("eventId", eventId);
    Require.jobId(jobId);
    Require.nonNegative("round", round);
    Require.nonNull("timestamp", timestamp);
    Require.nonBlank("reason", reason);
    if (bestRound != null) {
      Require.nonNegative("bestRound", bestRound);
    }
    if ((bestRound == null) != (bestCheckpoint == null)) {
      throw new IllegalArgumentException(
          "bestRound and bestCheckpoint must both be set or both be null, were "
              + bestRound
              + " and "
              + bestCheckpoint);
    }
  }
}
