package io.qatfleet.messaging.event;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;
import java.util.UUID;

/**
 * An event exchanged by the fleet's services. Every event names the job and QAT round it belongs
 * to, the checkpoint it refers to (if any), and carries a unique {@link #eventId()} so that a
 * handler can recognise a redelivery and stay idempotent.
 *
 * <p>On the wire (see {@code io.qatfleet.messaging.codec.EventCodec}) an event is a JSON object
 * with {@code schemaVersion} ({@value #SCHEMA_VERSION}) and a {@code type} discriminator holding
 * the record's simple name, followed by the record's components.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = JobSubmitted.class, name = "JobSubmitted"),
  @JsonSubTypes.Type(value = TrainRequested.class, name = "TrainRequested"),
  @JsonSubTypes.Type(value = FloatCheckpointReady.class, name = "FloatCheckpointReady"),
  @JsonSubTypes.Type(value = QuantizedModelReady.class, name = "QuantizedModelReady"),
  @JsonSubTypes.Type(value = ValidationCompleted.class, name = "ValidationCompleted"),
  @JsonSubTypes.Type(value = RetrainRequested.class, name = "RetrainRequested"),
  @JsonSubTypes.Type(value = ModelApproved.class, name = "ModelApproved"),
  @JsonSubTypes.Type(value = JobFailed.class, name = "JobFailed"),
  @JsonSubTypes.Type(value = StatusUpdate.class, name = "StatusUpdate"),
  @JsonSubTypes.Type(value = DeadLetter.class, name = "DeadLetter"),
  @JsonSubTypes.Type(value = RetrainTriggered.class, name = "RetrainTriggered"),
  @JsonSubTypes.Type(value = ModelClaimed.class, name = "ModelClaimed"),
  @JsonSubTypes.Type(value = JobCancelled.class, name = "JobCancelled")
})
public sealed interface QatEvent
    permits JobSubmitted,
        TrainRequested,
        FloatCheckpointReady,
        QuantizedModelReady,
        ValidationCompleted,
        RetrainRequested,
        ModelApproved,
        JobFailed,
        StatusUpdate,
        DeadLetter,
        RetrainTriggered,
        ModelClaimed,
        JobCancelled {

  /** The JSON schema version this code writes, and the only one it reads. */
  int SCHEMA_VERSION = 1;

  /**
   * Longest job id an event may carry. The job API mints UUIDs (36 characters); a trigger names its
   * own. The id becomes a record key, a log field and a dead letter's field, so it is bounded.
   */
  int MAX_JOB_ID_LENGTH = 128;

  /**
   * Whether {@code id} may be an event's job id: not blank, at most {@value #MAX_JOB_ID_LENGTH}.
   */
  static boolean isJobId(String id) {
    return id != null && !id.isBlank() && id.length() <= MAX_JOB_ID_LENGTH;
  }

  /** Random UUID, unique per event; redeliveries of one event share it. */
  String eventId();

  /** The job: not blank, at most {@value #MAX_JOB_ID_LENGTH} characters. */
  String jobId();

  /** QAT round: 0 for the float baseline, then 1, 2, ... */
  int round();

  /** The checkpoint this event refers to, or null where none applies. */
  CheckpointRef checkpoint();

  Instant timestamp();

  /** A fresh event id. */
  static String newEventId() {
    return UUID.randomUUID().toString();
  }
}
