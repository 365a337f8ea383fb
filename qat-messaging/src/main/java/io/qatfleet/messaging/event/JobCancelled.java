package io.qatfleet.messaging.event;

import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;

/**
 * Someone asked to stop a job ({@code DELETE /jobs/{id}}, {@code qat cancel}): on {@code qat.jobs},
 * keyed by the job id, written by the trainer's job API. Every trainer reads it into its view; one
 * running a round of the job stops it before its next training step, and no trainer starts another
 * round of it. The trainer that stops or refuses the round ends the job with {@link JobFailed}
 * (reason {@code cancelled by ...}), the terminal event every reader already knows.
 *
 * @param round always 0: the request concerns the whole job, not a round
 * @param checkpoint always null
 * @param cancelledBy the caller's owner claim (the job's owner, or an operator)
 * @param reason why, for a person; the API's default when the caller gave none
 */
public record JobCancelled(
    String eventId,
    String jobId,
    int round,
    CheckpointRef checkpoint,
    Instant timestamp,
    String cancelledBy,
    String reason)
    implements QatEvent {

  public JobCancelled {
    Require.uuid("eventId", eventId);
    Require.jobId(jobId);
    if (round != 0) {
      throw new IllegalArgumentException("round must be 0 for JobCancelled, was " + round);
    }
    if (checkpoint != null) {
      throw new IllegalArgumentException("checkpoint must be null for JobCancelled");
    }
    Require.nonNull("timestamp", timestamp);
    Require.nonBlank("cancelledBy", cancelledBy);
    Require.nonBlank("reason", reason);
  }
}
