package io.qatfleet.messaging.event;

import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;

/**
 * Progress of a job stage, published by every service on {@code qat.status} for the CLI, the
 * dashboard and {@code GET /jobs/{id}}. Nothing depends on it for correctness.
 *
 * @param stage the stage reporting, e.g. "baseline", "qat", "calibration", "validation"
 * @param progress fraction of the stage done, in [0, 1]
 * @param message a line for a person; may be empty
 * @param epoch current epoch, or null
 * @param loss latest training loss, or null
 * @param samplesPerSecond latest throughput, or null
 */
public record StatusUpdate(
    String eventId,
    String jobId,
    int round,
    CheckpointRef checkpoint,
    Instant timestamp,
    String stage,
    double progress,
    String message,
    Integer epoch,
    Double loss,
    Double samplesPerSecond)
    implements QatEvent {

  public StatusUpdate {
    Require.uuid("eventId", eventId);
    Require.jobId(jobId);
    Require.nonNegative("round", round);
    Require.nonNull("timestamp", timestamp);
    Require.nonBlank("stage", stage);
    Require.unitInterval("progress", progress);
    Require.nonNull("message", message);
    if (epoch != null) {
      Require.nonNegative("epoch", epoch);
    }
    Require.finiteOrNull("loss", loss);
    if (samplesPerSecond != null && !(samplesPerSecond >= 0 && Double.isFinite(samplesPerSecond))) {
      throw new IllegalArgumentException(
          "samplesPerSecond must be finite and >= 0, was " + samplesPerSecond);
    }
  }
}
