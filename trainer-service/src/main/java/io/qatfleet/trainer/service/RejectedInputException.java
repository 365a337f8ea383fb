package io.qatfleet.trainer.service;

/**
 * An event that decoded fine but cannot be acted on (a trigger for an unknown model, a start
 * checkpoint of the wrong kind, an event type that does not belong on the topic). The record goes
 * to {@code qat.dlq} with {@link #errorType()} as the dead letter's error type.
 */
public final class RejectedInputException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String errorType;

  public RejectedInputException(String errorType, String message) {
    super(message);
    this.errorType = errorType;
  }

  /** Short machine-readable kind, fit for a metric tag, e.g. {@code UNKNOWN_MODEL}. */
  public String errorType() {
    return errorType;
  }
}
