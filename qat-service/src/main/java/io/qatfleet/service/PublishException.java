package io.qatfleet.service;

/**
 * The broker did not take an outcome or a dead letter within {@code qat.publish-timeout}. Not the
 * input's fault: nothing is marked done, the exception fails the record, its offset is not
 * committed, and the record is processed again after the service restarts (docs/fleet.md, "When the
 * broker does not acknowledge").
 */
public final class PublishException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public PublishException(String message, Throwable cause) {
    super(message, cause);
  }
}
