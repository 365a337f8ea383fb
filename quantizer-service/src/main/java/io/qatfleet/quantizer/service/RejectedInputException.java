package io.qatfleet.quantizer.service;

/**
 * An input the quantizer cannot work with: an invalid job spec, a checkpoint that is missing,
 * corrupted or of the wrong kind, or a float checkpoint without quantization parameters. The record
 * goes to {@code qat.dlq} with {@link #errorType()} (a short, low-cardinality name fit for a metric
 * tag) and the message, and the job gets an error status; retrying would fail the same way.
 */
public final class RejectedInputException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String errorType;

  public RejectedInputException(String errorType, String message) {
    this(errorType, message, null);
  }

  public RejectedInputException(String errorType, String message, Throwable cause) {
    super(message, cause);
    this.errorType = errorType;
  }

  public String errorType() {
    return errorType;
  }
}
