package io.qatfleet.messaging.event;

import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;

/**
 * An outside system asks to retrain a registered model (on {@code qat.triggers}): data updated,
 * drift detected, a schedule, or a person. The trainer starts job {@code jobId} (chosen by the
 * producer, so a retried trigger does not start two jobs) from the model's latest approved version
 * in {@code qat.models} and its spec.
 *
 * @param checkpoint always null: the registry names the checkpoint
 */
public record RetrainTriggered(
    String eventId,
    String jobId,
    int round,
    CheckpointRef checkpoint,
    Instant timestamp,
    String modelName,
    Reason reason,
    String message)
    implements QatEvent {

  /** Why retraining was asked for. */
  public enum Reason {
    DATA_UPDATED,
    DRIFT_DETECTED,
    SCHEDULED,
    MANUAL
  }

  public RetrainTriggered {
    Require.uuid("eventId", eventId);
    Require.jobId(jobId);
    if (round != 0) {
      throw new IllegalArgumentException("round must be 0 for RetrainTriggered, was " + round);
    }
    if (checkpoint != null) {
      throw new IllegalArgumentException("checkpoint must be null for RetrainTriggered");
    }
    Require.nonNull("timestamp", timestamp);
    Require.nonBlank("modelName", modelName);
    Require.nonNull("reason", reason);
  }
}
