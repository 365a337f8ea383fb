package io.qatfleet.validator.service;

/**
 * An event the validator cannot act on although it decoded: an invalid job spec, a quantized model
 * whose job has no evaluated baseline, a checkpoint that cannot be fetched or is of the wrong kind,
 * or an event type that does not belong on {@code qat.validate}. The listener parks the record on
 * {@code qat.dlq} with {@link #errorType()} and the message, and reports the error for the job.
 */
public final class InvalidInputException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public static final String INVALID_SPEC = "INVALID_SPEC";
  public static final String MISSING_BASELINE = "MISSING_BASELINE";
  public static final String UNEXPECTED_EVENT = "UNEXPECTED_EVENT";
  public static final String WRONG_CHECKPOINT = "WRONG_CHECKPOINT";
  public static final String CORRUPT_CHECKPOINT = "CORRUPT_CHECKPOINT";

  private final String errorType;

  public InvalidInputException(String errorType, String message) {
    this(errorType, message, null);
  }

  public InvalidInputException(String errorType, String message, Throwable cause) {
    super(message, cause);
    this.errorType = errorType;
  }

  /** Short machine-readable kind of the failure, for the dead letter and the metric tag. */
  public String errorType() {
    return errorType;
  }
}
