package io.qatfleet.cli.fleet;

import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.ValidationCompleted;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Follows one job on an {@link EventTail}: turns each new event of the job into a progress line (a
 * bar per status update, the event name for stage events) until the job is approved or failed, or a
 * service rejected it. Shared by {@code qat run} (which also watches its service processes) and
 * {@code qat follow} (which watches a fleet it did not start).
 */
public final class JobFollower {
  /** {@code StatusUpdate} stages after which the job goes no further. */
  public static final Set<String> TERMINAL_STAGES = Set.of("rejected", "error");

  private static final long POLL_MILLIS = 500;

  /** How long to wait, after the verdict, for the approved round's validation on its topic. */
  private static final Duration VALIDATION_GRACE = Duration.ofSeconds(30);

  private JobFollower() {}

  /**
   * Prints progress lines of {@code jobId} to {@code out} until the job has finished (approved or
   * failed) or was rejected; {@code check} runs between polls and may throw to stop following.
   *
   * @return the job's summary; neither approved nor failed when the job was rejected
   */
  public static JobSummary follow(
      EventTail tail, String jobId, Consumer<String> out, Runnable check)
      throws InterruptedException {
    Set<String> shown = new HashSet<>();
    long finishedAt = -1;
    while (true) {
      List<QatEvent> events = tail.ofJob(jobId).stream().map(EventTail.Seen::event).toList();
      for (QatEvent e : events) {
        if (shown.add(e.eventId())) {
          out.accept(line(e));
          if (e instanceof ValidationCompleted v) {
            RoundRow.of(events).stream()
                .filter(r -> r.round() == v.round())
                .findFirst()
                .flatMap(RoundRow::effect)
                .ifPresent(effect -> out.accept("    effect of the remedy: " + effect));
          }
        }
      }
      JobSummary summary = JobSummary.of(jobId, events);
      if (rejection(events).isPresent()) {
        return summary;
      }
      if (summary.finished()) {
        finishedAt = finishedAt < 0 ? System.nanoTime() : finishedAt;
        if (summary.approvalValidationSeen()
            || System.nanoTime() - finishedAt > VALIDATION_GRACE.toNanos()) {
          return summary;
        }
      }
      check.run();
      Thread.sleep(POLL_MILLIS);
    }
  }

  /** The status update that stopped the job without a verdict, if any. */
  public static Optional<StatusUpdate> rejection(List<QatEvent> events) {
    return events.stream()
        .filter(StatusUpdate.class::isInstance)
        .map(StatusUpdate.class::cast)
        .filter(u -> TERMINAL_STAGES.contains(u.stage()))
        .findFirst();
  }

  /** One progress line: a bar for status updates, the event name for stage events. */
  public static String line(QatEvent e) {
    if (e instanceof StatusUpdate u) {
      int filled = (int) Math.round(u.progress() * 20);
      StringBuilder s =
          new StringBuilder(
              String.format(
                  Locale.ROOT,
                  "  [round %d] %-10s %s %3.0f%%",
                  u.round(),
                  u.stage(),
                  "#".repeat(filled) + ".".repeat(20 - filled),
                  100 * u.progress()));
      if (u.message() != null && !u.message().isBlank()) {
        s.append("  ").append(u.message());
      } else {
        if (u.epoch() != null) {
          s.append(" epoch ").append(u.epoch());
        }
        if (u.loss() != null) {
          s.append(String.format(Locale.ROOT, " loss %.4f", u.loss()));
        }
        if (u.samplesPerSecond() != null) {
          s.append(String.format(Locale.ROOT, " %.0f samples/s", u.samplesPerSecond()));
        }
      }
      return s.toString();
    }
    String head =
        String.format(Locale.ROOT, "> round %d: %s", e.round(), e.getClass().getSimpleName());
    if (e instanceof ValidationCompleted v) {
      Double f = v.floatMetrics().get("accuracy");
      Double q = v.quantizedMetrics().get("accuracy");
      return head
          + (v.round() == 0 ? " (post-training quantization)" : "")
          + String.format(
              Locale.ROOT,
              " -> %s (accuracy %.4f vs float %.4f, agreement %.2f %%)",
              v.decision().name().toLowerCase(Locale.ROOT),
              q == null ? Double.NaN : q,
              f == null ? Double.NaN : f,
              100 * v.agreement());
    }
    if (e instanceof RetrainRequested r) {
      StringBuilder s =
          new StringBuilder(
              head
                  + " -> round "
                  + r.nextRound()
                  + " with "
                  + r.epochs()
                  + " epochs: "
                  + r.reason());
      if (r.remedy() != null) {
        r.remedy().changes().forEach(c -> s.append("\n    remedy: ").append(c));
      }
      return s.toString();
    }
    if (e instanceof ModelApproved a) {
      return head + " -> " + a.modelName() + " v" + a.version();
    }
    if (e instanceof JobFailed f) {
      return head + " -> " + f.reason();
    }
    return head;
  }
}
