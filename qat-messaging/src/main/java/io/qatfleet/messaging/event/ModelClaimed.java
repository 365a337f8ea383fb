package io.qatfleet.messaging.event;

import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;

/**
 * A principal registers a model name (on {@code qat.owners}, written by the trainer's job API when
 * a job names a model nobody owns yet). The name belongs to the owner of the <em>first</em> claim
 * for it on that topic; a later claim for the same name (two trainers racing, or one whose copy of
 * the topic lagged) changes nothing. Claims are never deleted or compacted away, so the first one
 * stays first.
 *
 * @param jobId the job whose submission made the claim
 * @param checkpoint always null
 * @param modelName the job spec's {@code name}
 * @param owner the claiming principal: the caller's owner claim (a subject or a group)
 */
public record ModelClaimed(
    String eventId,
    String jobId,
    int round,
    CheckpointRef checkpoint,
    Instant timestamp,
    String modelName,
    String owner)
    implements QatEvent {

  public ModelClaimed {
    Require.uuid("eventId", eventId);
    Require.jobId(jobId);
    if (round != 0) {
      throw new IllegalArgumentException("round must be 0 for ModelClaimed, was " + round);
    }
    if (checkpoint != null) {
      throw new IllegalArgumentException("checkpoint must be null for ModelClaimed");
    }
    Require.nonNull("timestamp", timestamp);
    Require.nonBlank("modelName", modelName);
    Require.nonBlank("owner", owner);
  }
}
