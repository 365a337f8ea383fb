package io.qatfleet.trainer.service;

import io.qatfleet.core.job.JobBudget;
import io.qatfleet.messaging.event.JobCancelled;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.service.ServiceStoppingException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether a job must stop: cancelled ({@link JobCancelled} on {@code qat.jobs}) or past its
 * deadline ({@code deadlineMinutes} of its spec, else the budget's maximum, counted from the {@link
 * JobSubmitted} timestamp). Fed by the trainer's reading of {@code qat.jobs} from its start (the
 * job view's consumer), so every instance knows about a cancellation made through any instance; a
 * training stage asks it before every step ({@link #reason}). A job whose submission this instance
 * has not read has no known deadline, and runs until it is read.
 */
public final class JobStops {

  private final JobBudget budget;
  private final Clock clock;
  private final Map<String, Instant> deadlines = new ConcurrentHashMap<>();
  private final Map<String, String> cancellations = new ConcurrentHashMap<>();
  private volatile boolean serviceStopping;

  public JobStops(JobBudget budget, Clock clock) {
    this.budget = budget;
    this.clock = clock;
  }

  /** Takes note of a submission or a cancellation; ignores other events. */
  public void apply(QatEvent event) {
    if (event instanceof JobSubmitted s) {
      Duration deadline = Duration.ofMinutes(budget.deadlineMinutes(s.spec()));
      deadlines.putIfAbsent(s.jobId(), s.timestamp().plus(deadline));
    } else if (event instanceof JobCancelled c) {
      cancellations.putIfAbsent(
          c.jobId(),
          "cancelled by " + c.cancelledBy() + " at " + c.timestamp() + ": " + c.reason());
    }
  }

  /** Why {@code jobId} must stop now, or empty when it may go on. */
  public Optional<String> reason(String jobId) {
    String cancelled = cancellations.get(jobId);
    if (cancelled != null) {
      return Optional.of(cancelled);
    }
    Instant deadline = deadlines.get(jobId);
    if (deadline != null && !clock.instant().isBefore(deadline)) {
      return Optional.of("deadline passed: the job had to be done by " + deadline);
    }
    return Optional.empty();
  }

  /**
   * The service is shutting down: every training stage stops at its next step, leaving its record
   * uncommitted ({@link ServiceStoppingException}), to resume on the next instance.
   */
  public void serviceStopping() {
    serviceStopping = true;
  }

  /** Throws {@link ServiceStoppingException} once the service is shutting down. */
  public void requireServiceRunning(String jobId) {
    if (serviceStopping) {
      throw new ServiceStoppingException(
          "job " + jobId + ": the trainer is shutting down; the round resumes on restart");
    }
  }

  /**
   * Throws {@link JobStoppedException} if {@code jobId} must stop, {@link ServiceStoppingException}
   * if the service is shutting down.
   */
  public void check(String jobId) {
    requireServiceRunning(jobId);
    Optional<String> reason = reason(jobId);
    if (reason.isPresent()) {
      throw new JobStoppedException(jobId, reason.get());
    }
  }

  /**
   * A training stage stopped because its job was cancelled, ran past its deadline, or asked for a
   * round over the budget.
   */
  public static final class JobStoppedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    JobStoppedException(String jobId, String reason) {
      super("job " + jobId + " stopped: " + reason);
    }
  }
}
