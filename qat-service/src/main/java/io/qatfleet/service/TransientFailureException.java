package io.qatfleet.service;

/**
 * A failure that is not the record's fault and may clear by itself: the broker or the checkpoint
 * store was unreachable or did not answer in time ({@link Failures}). It is never turned into a
 * dead letter: {@link DeadLetters#reject} throws it instead of parking the record, {@link
 * RecordGuard} retries the record with backoff, and when the retries are spent it fails the record,
 * so that its offset is not committed and the restarted service processes it again.
 */
public final class TransientFailureException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public TransientFailureException(String message, Throwable cause) {
    super(message, cause);
  }
}
