package io.qatfleet.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.integrity.EventSeal;
import io.quarkus.runtime.Startup;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Wraps the handling of every input record of a work listener (trainer, quantizer, validator) with
 * the fleet's two fault rules, once:
 *
 * <ul>
 *   <li><b>Transient failures are retried.</b> The listener's work dead-letters what is the
 *       record's fault ({@link DeadLetters}); what is the environment's ({@link Failures}: broker
 *       down, timeouts, checkpoint transport) escapes as {@link PublishException} or {@link
 *       TransientFailureException}, and the guard runs the whole work again after a bounded
 *       exponential backoff ({@code qat.retry.*}). The work is idempotent (the stage ledger, the
 *       trainer's epoch checkpoints, the validator's decision transaction), so running it again is
 *       safe. When the tries are spent it throws {@link TransientFailureException}: the record
 *       fails, its offset is not committed, the channel stops ({@code failure-strategy=fail}) and
 *       the restarted service processes the record again. Never a dead letter.
 *   <li><b>Poison pills are parked.</b> Before the work starts, the record's attempt count is
 *       written durably ({@link RecordAttempts}); it is removed when the work finished (processed
 *       or dead-lettered) and reset when the retries were spent (the broker, not the record, was at
 *       fault). A count that is still there on a delivery means processing the record killed the
 *       process; once it reaches {@code qat.retry.poison-pill-attempts}, the record is
 *       dead-lettered as {@link RejectionReason#POISON_PILL} without being processed, and the
 *       partition moves on.
 * </ul>
 *
 * <p>{@code qat.records.retries{service}} counts the tries after a transient failure; it exists at
 * 0 from start-up ({@code @Startup}).
 */
@Startup
@Singleton
public class RecordGuard {

  /** The counter of tries after a transient failure. */
  public static final String RETRIES_METRIC = "qat.records.retries";

  private static final Logger LOG = Logger.getLogger(RecordGuard.class);

  /** The record this thread is processing, for {@link #madeProgress}. */
  private final ThreadLocal<Position> current = new ThreadLocal<>();

  private record Position(String topic, int partition, long offset) {}

  /** The work on one record; dead-letters what is the record's fault. */
  @FunctionalInterface
  public interface Work {
    void run();
  }

  /** Waits between tries; a test passes one that does not. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  private final RecordAttempts attempts;
  private final RetryPolicy policy;
  private final int poisonPillAttempts;
  private final Failures failures;
  private final DeadLetters deadLetters;
  private final EventSeal seal;
  private final Sleeper sleeper;
  private final Counter retries;

  @Inject
  public RecordGuard(
      FleetConfig config,
      Failures failures,
      DeadLetters deadLetters,
      EventSeal seal,
      MeterRegistry registry,
      @ConfigProperty(name = "quarkus.application.name") String service) {
    this(
        new RecordAttempts(config.stateDir().resolve("attempts")),
        RetryPolicy.of(config.retry()),
        config.retry().poisonPillAttempts(),
        failures,
        deadLetters,
        seal,
        d -> Thread.sleep(d.toMillis()),
        registry,
        service);
  }

  RecordGuard(
      RecordAttempts attempts,
      RetryPolicy policy,
      int poisonPillAttempts,
      Failures failures,
      DeadLetters deadLetters,
      EventSeal seal,
      Sleeper sleeper,
      MeterRegistry registry,
      String service) {
    if (poisonPillAttempts < 1) {
      throw new IllegalArgumentException(
          "qat.retry.poison-pill-attempts must be at least 1, got " + poisonPillAttempts);
    }
    this.attempts = attempts;
    this.policy = policy;
    this.poisonPillAttempts = poisonPillAttempts;
    this.failures = failures;
    this.deadLetters = deadLetters;
    this.seal = seal;
    this.sleeper = sleeper;
    this.retries =
        Counter.builder(RETRIES_METRIC)
            .description("Tries of an input record again after a transient failure")
            .tag("service", service)
            .register(registry);
  }

  /**
   * Runs {@code work} on {@code record} under the fleet's fault rules (class comment); a poison
   * pill is dead-lettered with a status under {@code statusStage} instead. A poison pill from a
   * topic whose records must carry the fleet's seal ({@code sealed}) is parked as {@code
   * POISON_PILL} only when its seal verifies, else as {@code UNSEALED_EVENT} / {@code BAD_SEAL}: so
   * every dead letter of a sealed topic whose reason is not one of those two was sealed by the
   * fleet, which is what the trainer's replay of dead letters relies on.
   *
   * @throws TransientFailureException when the record failed transiently on every try
   */
  public void process(
      ConsumerRecord<String, byte[]> record, boolean sealed, String statusStage, Work work) {
    String topic = record.topic();
    int partition = record.partition();
    long offset = record.offset();
    int earlier = attempts.count(topic, partition, offset);
    Work actual;
    if (earlier >= poisonPillAttempts) {
      RejectedInputException poison =
          new RejectedInputException(
              RejectionReason.POISON_PILL,
              "processing "
                  + topic
                  + "-"
                  + partition
                  + "@"
                  + offset
                  + " was started "
                  + earlier
                  + " times and never finished (the service died each time; limit"
                  + " qat.retry.poison-pill-attempts="
                  + poisonPillAttempts
                  + "); parked without processing it again");
      actual =
          () -> {
            if (sealed) {
              try {
                seal.verify(record.key(), record.value(), record.headers());
              } catch (RejectedInputException unsealed) {
                deadLetters.reject(record, unsealed, statusStage);
                return;
              }
            }
            deadLetters.reject(record, poison, sealed ? statusStage : null);
          };
    } else {
      attempts.set(topic, partition, offset, earlier + 1);
      actual = work;
    }
    current.set(new Position(topic, partition, offset));
    try {
      runGuarded(actual, topic, partition, offset, earlier);
    } finally {
      current.remove();
    }
  }

  /**
   * The record this thread is processing made durable progress (the trainer saved an epoch
   * checkpoint): from here on a death is a first attempt at the rest of it, not one more of the
   * same that never got anywhere. So a long round that a crash-looping node or a chaos test kills
   * several times, each time after an epoch, is never taken for a poison pill.
   */
  public void madeProgress() {
    Position p = current.get();
    if (p != null) {
      attempts.set(p.topic(), p.partition(), p.offset(), 1);
    }
  }

  private void runGuarded(Work actual, String topic, int partition, long offset, int earlier) {
    for (int attempt = 1; ; attempt++) {
      try {
        actual.run();
        attempts.clear(topic, partition, offset);
        return;
      } catch (ServiceStoppingException e) {
        attempts.set(topic, partition, offset, earlier);
        throw e;
      } catch (RuntimeException e) {
        if (!failures.isTransient(e)) {
          // Not the environment and not dead-lettered by the work: the record fails and its
          // attempt stays counted, as if the process had died on it.
          throw e;
        }
        if (attempt >= policy.attempts()) {
          attempts.set(topic, partition, offset, earlier);
          LOG.errorf(
              "%s-%d@%d failed transiently %d times; failing the record (not committed, processed"
                  + " again after the restart): %s",
              topic, partition, offset, attempt, e.toString());
          throw new TransientFailureException(
              topic
                  + "-"
                  + partition
                  + "@"
                  + offset
                  + " failed transiently on all "
                  + attempt
                  + " tries (qat.retry.attempts): "
                  + e.getMessage(),
              e);
        }
        Duration wait = policy.backoff(attempt);
        LOG.warnf(
            "%s-%d@%d failed transiently (try %d of %d), trying again in %s: %s",
            topic, partition, offset, attempt, policy.attempts(), wait, e.toString());
        retries.increment();
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          attempts.set(topic, partition, offset, earlier);
          throw new TransientFailureException(
              "interrupted while waiting to try " + topic + "-" + partition + "@" + offset, e);
        }
      }
    }
  }
}
