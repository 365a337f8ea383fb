package io.qatfleet.messaging.checkpoint;

/**
 * A checkpoint could not be stored or read back intact. The {@link #reason()} says which way it
 * failed, the message names the checkpoint and, for a missing chunk, which one. A service turns it
 * into an error event for the job (never a silent retry loop: the bytes will not heal).
 */
public final class CheckpointTransportException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** How a transport failed. */
  public enum Reason {
    /** No part of the checkpoint arrived within the timeout. */
    NOT_FOUND,
    /** Some chunks arrived, at least one did not within the timeout. */
    MISSING_CHUNK,
    /** All bytes arrived, but their SHA-256 is not the reference's. */
    DIGEST_MISMATCH,
    /** The bytes, or a chunk's declared total, do not have the reference's length. */
    SIZE_MISMATCH,
    /** A chunk's headers are missing, unreadable, or disagree with the other chunks. */
    BAD_CHUNK,
    /** The checkpoint, or the size its reference claims, exceeds the configured maximum. */
    TOO_LARGE,
    /** The broker or the file system failed, or the caller was interrupted. */
    TRANSPORT
  }

  private final Reason reason;
  private final transient CheckpointRef ref;

  public CheckpointTransportException(Reason reason, CheckpointRef ref, String message) {
    this(reason, ref, message, null);
  }

  public CheckpointTransportException(
      Reason reason, CheckpointRef ref, String message, Throwable cause) {
    super(reason + ": " + message, cause);
    this.reason = reason;
    this.ref = ref;
  }

  public Reason reason() {
    return reason;
  }

  /** The checkpoint concerned, or null when it was not known yet. */
  public CheckpointRef ref() {
    return ref;
  }
}
