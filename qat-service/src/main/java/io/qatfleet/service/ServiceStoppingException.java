package io.qatfleet.service;

/**
 * The service is shutting down (SIGTERM, a rolling update, a test application being replaced) while
 * a stage works on a record: the work stops at its next check, nothing is published, marked done or
 * dead-lettered, and the record stays uncommitted, so the next instance gets it again and resumes
 * it (the trainer from its last epoch checkpoint). Not counted as an attempt of the record ({@link
 * RecordGuard}): a stop is not the record's fault.
 */
public final class ServiceStoppingException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public ServiceStoppingException(String message) {
    super(message);
  }
}
