package io.qatfleet.messaging.deadletter;

import io.qatfleet.core.train.NonFiniteLossException;
import io.qatfleet.messaging.checkpoint.CheckpointTransportException;
import io.qatfleet.messaging.codec.EventDecodingException;

/**
 * Why a record went to {@code qat.dlq}: the one vocabulary of every service, written as the dead
 * letter's {@code errorType} and as the {@code reason} tag of {@code qat.dlq.records}. A small,
 * closed set, so that a metric tag never carries an exception's class name or a job id; the details
 * go into the dead letter's free-text reason.
 */
public enum RejectionReason {
  /** Not JSON, not a JSON object, empty, or null. */
  MALFORMED_JSON,
  /** {@code schemaVersion} missing or not one this build reads. */
  UNKNOWN_SCHEMA_VERSION,
  /** {@code type} missing or naming no known event. */
  UNKNOWN_TYPE,
  /** A field missing, unknown, of the wrong JSON type, or with a value the event rejects. */
  INVALID_FIELD,
  /** A known event on a topic where it does not belong. */
  UNEXPECTED_EVENT,
  /** The job spec fails validation. */
  INVALID_SPEC,
  /**
   * The job spec, or a round of it, exceeds a cap of the trainer's budget ({@code qat.budget.*}).
   */
  OVER_BUDGET,
  /** The job spec disagrees with the checkpoint the event names. */
  SPEC_MISMATCH,
  /** A round number the stage does not handle (e.g. a QAT request for round 0). */
  UNSUPPORTED_ROUND,
  /** A trigger for a model name the registry does not hold. */
  UNKNOWN_MODEL,
  /** A quantized round of a job whose float baseline was never evaluated. */
  MISSING_BASELINE,
  /** A checkpoint of the wrong kind: integer where float is needed, or the reverse. */
  WRONG_CHECKPOINT,
  /** A float checkpoint without the quantization parameters the stage needs. */
  MISSING_QUANTIZATION,
  /** A checkpoint whose bytes arrived intact but do not decode as one. */
  CORRUPT_CHECKPOINT,
  /** No chunk of the checkpoint arrived within the timeout. */
  CHECKPOINT_NOT_FOUND,
  /** Some chunks of the checkpoint arrived, at least one did not. */
  CHECKPOINT_MISSING_CHUNK,
  /** The reassembled checkpoint's SHA-256 is not its reference's. */
  CHECKPOINT_DIGEST_MISMATCH,
  /** The reassembled checkpoint's size is not its reference's. */
  CHECKPOINT_SIZE_MISMATCH,
  /** A chunk's headers are missing, unreadable or contradict the others. */
  CHECKPOINT_BAD_CHUNK,
  /** The checkpoint, or the size its reference claims, exceeds the maximum checkpoint size. */
  CHECKPOINT_TOO_LARGE,
  /** The broker or the file system failed while moving a checkpoint. */
  CHECKPOINT_TRANSPORT,
  /** A {@code ModelApproved} a stage was to act on carries no signature. */
  UNSIGNED_APPROVAL,
  /**
   * A {@code ModelApproved}'s signature does not verify with the trusted public key: forged,
   * altered after signing, signed by another key, or not base64.
   */
  BAD_SIGNATURE,
  /**
   * The stage has no public key to verify approvals with ({@code qat.approval.public-key-file}).
   */
  NO_APPROVAL_KEY,
  /**
   * A work event without the fleet's seal ({@code qat.seal} header): no fleet service wrote it
   * ({@code EventSeal}).
   */
  UNSEALED_EVENT,
  /**
   * A work event whose seal does not verify: forged, altered after sealing, or sealed with another
   * fleet's key.
   */
  BAD_SEAL,
  /** Training or calibration produced a NaN or infinite loss. */
  NON_FINITE_LOSS,
  /**
   * Processing the record killed the service as many times as {@code
   * qat.retry.poison-pill-attempts} allows (the attempts counted under the state directory); the
   * dead letter's reason names the count. Parked on the next delivery so that the partition moves
   * on.
   */
  POISON_PILL,
  /** Any other failure of the stage's work; the dead letter's reason names the exception. */
  PROCESSING_FAILED;

  /** The reason for {@code error}, as every service classifies it. */
  public static RejectionReason of(Throwable error) {
    if (error instanceof RejectedInputException e) {
      return e.reason();
    }
    if (error instanceof EventDecodingException e) {
      return of(e.reason());
    }
    if (error instanceof CheckpointTransportException e) {
      return of(e.reason());
    }
    if (error instanceof NonFiniteLossException) {
      return NON_FINITE_LOSS;
    }
    return PROCESSING_FAILED;
  }

  public static RejectionReason of(EventDecodingException.Reason reason) {
    return switch (reason) {
      case MALFORMED_JSON -> MALFORMED_JSON;
      case UNKNOWN_SCHEMA_VERSION -> UNKNOWN_SCHEMA_VERSION;
      case UNKNOWN_TYPE -> UNKNOWN_TYPE;
      case INVALID_FIELD -> INVALID_FIELD;
    };
  }

  public static RejectionReason of(CheckpointTransportException.Reason reason) {
    return switch (reason) {
      case NOT_FOUND -> CHECKPOINT_NOT_FOUND;
      case MISSING_CHUNK -> CHECKPOINT_MISSING_CHUNK;
      case DIGEST_MISMATCH -> CHECKPOINT_DIGEST_MISMATCH;
      case SIZE_MISMATCH -> CHECKPOINT_SIZE_MISMATCH;
      case BAD_CHUNK -> CHECKPOINT_BAD_CHUNK;
      case TOO_LARGE -> CHECKPOINT_TOO_LARGE;
      case TRANSPORT -> CHECKPOINT_TRANSPORT;
    };
  }
}
