package io.qatfleet.messaging.event;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;
import java.util.List;

/**
 * A user asked for a job (via {@code POST /jobs} or {@code qat.jobs}); the trainer starts the float
 * baseline from it. Only a valid spec can be carried: a spec with violations fails construction, so
 * on decoding it is rejected to the dead-letter topic with every violation named.
 *
 * @param round always 0
 * @param checkpoint a checkpoint to start from (retraining trigger from an approved model), or null
 * @param owner the principal that submitted the job through the API (the caller's owner claim, e.g.
 *     the token's subject), or null for a job the fleet started itself (a retraining trigger) and
 *     for events written before jobs had owners; such a job belongs to its model name's owner
 */
public record JobSubmitted(
    String eventId,
    String jobId,
    int round,
    CheckpointRef checkpoint,
    Instant timestamp,
    JobSpec spec,
    @OptionalField String owner)
    implements QatEvent {

  public JobSubmitted {
    Require.uuid("eventId", eventId);
    Require.jobId(jobId);
    if (round != 0) {
      throw new IllegalArgumentException("round must be 0 for JobSubmitted, was " + round);
    }
    Require.nonNull("timestamp", timestamp);
    Require.nonNull("spec", spec);
    List<String> violations = spec.violations();
    if (!violations.isEmpty()) {
      throw new IllegalArgumentException("spec is invalid: " + String.join("; ", violations));
    }
    if (owner != null) {
      Require.nonBlank("owner", owner);
    }
  }

  /** A job without an owner: one the fleet starts itself. */
  public JobSubmitted(
      String eventId,
      String jobId,
      int round,
      CheckpointRef checkpoint,
      Instant timestamp,
      JobSpec spec) {
    this(eventId, jobId, round, checkpoint, timestamp, spec, null);
  }
}
