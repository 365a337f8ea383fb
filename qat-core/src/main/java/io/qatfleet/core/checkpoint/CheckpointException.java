package io.qatfleet.core.checkpoint;

import java.util.Objects;

/**
 * Thrown when checkpoint bytes cannot be trusted or understood. The {@link Reason} lets a service
 * route the failure (an error event for a digest mismatch, a DLQ entry with the reason for a
 * malformed file) without parsing the message.
 */
public class CheckpointException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Why a checkpoint was rejected. */
  public enum Reason {
    /** Fewer bytes than the header says there are: an interrupted write or transfer. */
    TRUNCATED,
    /** The header is not valid JSON or does not describe the bytes that follow it. */
    MALFORMED_HEADER,
    /** The bytes do not hash to the SHA-256 they were addressed by. */
    DIGEST_MISMATCH,
    /** A qat-fleet checkpoint written in a format version this build cannot read. */
    UNSUPPORTED_VERSION
  }

  private final Reason reason;

  public CheckpointException(Reason reason, String message) {
    this(reason, message, null);
  }

  public CheckpointException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason must not be null");
  }

  public Reason reason() {
    return reason;
  }

  /** A {@link Reason#MALFORMED_HEADER} failure; {@code detail} says what is wrong. */
  static CheckpointException malformed(String detail, Throwable cause) {
    return new CheckpointException(
        Reason.MALFORMED_HEADER, "malformed checkpoint header: " + detail, cause);
  }
}
