package io.qatfleet.bench;

import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

/**
 * Jobs per hour of a batch of jobs submitted together: approved jobs over the time from the first
 * submission ({@code JobSubmitted}) to the last approval ({@code ModelApproved}).
 *
 * @param submitted jobs in the batch
 * @param approved jobs of the batch that were approved
 * @param span first submission to last approval; zero when nothing was approved
 */
public record Throughput(int submitted, int approved, Duration span) {

  /** The throughput of a batch, given each job's events. */
  public static Throughput of(Collection<List<QatEvent>> eventsPerJob) {
    Instant first = null;
    Instant last = null;
    int approved = 0;
    for (List<QatEvent> events : eventsPerJob) {
      boolean isApproved = false;
      for (QatEvent e : events) {
        if (e instanceof JobSubmitted && (first == null || e.timestamp().isBefore(first))) {
          first = e.timestamp();
        } else if (e instanceof ModelApproved) {
          isApproved = true;
          last = last == null || e.timestamp().isAfter(last) ? e.timestamp() : last;
        }
      }
      approved += isApproved ? 1 : 0;
    }
    Duration span =
        first == null || last == null || approved == 0
            ? Duration.ZERO
            : Duration.between(first, last);
    return new Throughput(eventsPerJob.size(), approved, span);
  }

  /** Approved jobs per hour; NaN when nothing was approved. */
  public double jobsPerHour() {
    return approved == 0 || span.isZero() ? Double.NaN : approved * 3600.0 / (span.toNanos() / 1e9);
  }
}
