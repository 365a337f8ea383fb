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
 */
public record JobSubmitted(
    String eventId,
    String jobId,
    int round,
    CheckpointRef checkpoint,
    Instant timestamp,
    JobSpec spec)
    implements QatEvent {

  public JobSubmitted {
    Require.uuid("eventId", eventId);
    Require.nonBlank("jobId", jobId);
    if (round != 0) {
      throw new IllegalArgumentException("round must be 0 for JobSubmitted, was " + round);
    }
    Require.nonNull("timestamp", timestamp);
    Require.nonNull("spec", spec);
    List<String> violations = spec.violations();
    if (!violations.isEmpty()) {
      throw new IllegalArgumentException("spec is invalid: " + String.join("; ", violations));
    }
  }
}
