package io.qatfleet.messaging.event;

import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;
import java.util.Base64;

/**
 * A record that a consumer could not process, parked on {@code qat.dlq} instead of being dropped or
 * crashing the consumer. It keeps the original bytes and key so that the record can be inspected
 * and replayed once the cause is fixed.
 *
 * @param jobId the job the bad record claimed to belong to, or {@value #UNKNOWN_JOB}
 * @param round the round the bad record claimed, or 0
 * @param checkpoint always null
 * @param sourceTopic topic the bad record was read from
 * @param partition partition of the bad record
 * @param offset offset of the bad record
 * @param errorType short machine-readable kind of failure, e.g. UNKNOWN_SCHEMA_VERSION or an
 *     exception's simple class name; fit for a metric tag
 * @param reason what was wrong, for a person
 * @param originalBase64 the record's value, base64-encoded; empty for a null value
 * @param originalKey the record's key, or null
 */
public record DeadLetter(
    String eventId,
    String jobId,
    int round,
    CheckpointRef checkpoint,
    Instant timestamp,
    String sourceTopic,
    int partition,
    long offset,
    String errorType,
    String reason,
    String originalBase64,
    String originalKey)
    implements QatEvent {

  /** The job id of a dead letter whose record named no readable job. */
  public static final String UNKNOWN_JOB = "unknown";

  public DeadLetter {
    Require.uuid("eventId", eventId);
    Require.jobId(jobId);
    Require.nonNegative("round", round);
    if (checkpoint != null) {
      throw new IllegalArgumentException(
          "checkpoint must be null for DeadLetter, was " + checkpoint);
    }
    Require.nonNull("timestamp", timestamp);
    Require.nonBlank("sourceTopic", sourceTopic);
    Require.nonNegative("partition", partition);
    Require.nonNegative("offset", offset);
    Require.nonBlank("errorType", errorType);
    Require.nonBlank("reason", reason);
    Require.nonNull("originalBase64", originalBase64);
    try {
      Base64.getDecoder().decode(originalBase64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "originalBase64 must be base64, was '" + abbreviate(originalBase64) + "'");
    }
  }

  /** The original record value, decoded. */
  public byte[] originalBytes() {
    return Base64.getDecoder().decode(originalBase64);
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
