package io.qatfleet.messaging.deadletter;

/**
 * An event that decoded but that a stage cannot act on; retrying would fail the same way. Every
 * service throws this one type, and the shared dead-letter path parks the record on {@code qat.dlq}
 * under {@link #reason()} with the message.
 */
public final class RejectedInputException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final RejectionReason reason;

  public RejectedInputException(RejectionReason reason, String message) {
    this(reason, message, null);
  }

  public RejectedInputException(RejectionReason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public RejectionReason reason() {
    return reason;
  }
}
