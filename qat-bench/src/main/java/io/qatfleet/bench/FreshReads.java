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

  /**
   * How long {@link #all} keeps trying while the broker is down: longer than the outage the chaos
   * run causes (90 s by default) and the broker's restart.
   */
  private static final Duration BROKER_DOWN = Duration.ofMinutes(5);

  /** Pause before a fresh reader tries again. */
  private static final Duration RETRY = Duration.ofSeconds(5);

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

  /**
   * Every event on the event topics now, read to their end by a fresh reader; while the broker is
   * down (a reader cannot even learn the topics' partitions), tried again for up to {@link
   * #BROKER_DOWN}.
   */
  List<EventTail.Seen> all() {
    long deadline = System.nanoTime() + BROKER_DOWN.toNanos();
    while (true) {
      try (EventTail tail = new EventTail(bootstrapServers, Topics.EVENT_TOPICS)) {
        tail.await(s -> false, ONE_LOOK);
        return List.copyOf(tail.seen());
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        sleep(RETRY);
      }
    }
  }

  private static void sleep(Duration pause) {
    try {
      Thread.sleep(pause.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the broker was down", e);
    }
  }
}
