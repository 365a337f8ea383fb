package io.qatfleet.bench;

import io.qatfleet.cli.fleet.EventTail;
import io.qatfleet.messaging.topic.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The fleet's events as a new reader sees them: every look opens a fresh {@link EventTail} and
 * reads the event topics from their beginning. What {@code qat bench chaos} counts must not depend
 * on one long-lived consumer surviving the broker restarts it causes.
 */
final class FreshReads {
  /** How long one fresh reader waits for a match before the next one starts over. */
  private static final Duration ONE_LOOK = Duration.ofSeconds(20);

  private final String bootstrapServers;

  FreshReads(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
  }

  /** The first event {@code match} accepts, looking again with a fresh reader until timeout. */
  Optional<EventTail.Seen> await(Predicate<EventTail.Seen> match, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Duration left = Duration.ofNanos(deadline - System.nanoTime());
      try (EventTail tail = new EventTail(bootstrapServers, Topics.EVENT_TOPICS)) {
        Optional<EventTail.Seen> found =
            tail.await(match, left.compareTo(ONE_LOOK) < 0 ? left : ONE_LOOK);
        if (found.isPresent()) {
          return found;
        }
      } catch (RuntimeException e) {
        // the broker is down for the moment: look again
      }
    }
    return Optional.empty();
  }

  /** Every event on the event topics now, read to their end by a fresh reader. */
  List<EventTail.Seen> all() {
    try (EventTail tail = new EventTail(bootstrapServers, Topics.EVENT_TOPICS)) {
      tail.await(s -> false, ONE_LOOK);
      return List.copyOf(tail.seen());
    }
  }
}
