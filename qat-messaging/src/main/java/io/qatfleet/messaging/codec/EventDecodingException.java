package io.qatfleet.messaging.codec;

/**
 * A record value that is not a valid {@link io.qatfleet.messaging.event.QatEvent}. The {@link
 * #reason()} classifies the failure (fit for a metric tag and the dead letter's error type); the
 * message says exactly what was wrong. Checked, so that every consumer decides where bad input goes
 * (the dead-letter topic) instead of letting it crash the poll loop.
 */
public final class EventDecodingException extends Exception {

  private static final long serialVersionUID = 1L;

  /** Why decoding failed. */
  public enum Reason {
    /** Not JSON, not a JSON object, empty, or null. */
    MALFORMED_JSON,
    /** {@code schemaVersion} missing or not one this build reads. */
    UNKNOWN_SCHEMA_VERSION,
    /** {@code type} missing or naming no known event. */
    UNKNOWN_TYPE,
    /** A field missing, unknown, of the wrong JSON type, or with a value the event rejects. */
    INVALID_FIELD
  }

  private final Reason reason;

  public EventDecodingException(Reason reason, String message) {
    this(reason, message, null);
  }

  public EventDecodingException(Reason reason, String message, Throwable cause) {
    super(reason + ": " + message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
