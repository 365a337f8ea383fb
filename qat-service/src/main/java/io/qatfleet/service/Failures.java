package io.qatfleet.service;

import io.qatfleet.messaging.checkpoint.CheckpointTransportException;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import org.apache.kafka.common.errors.RetriableException;
import org.jboss.logging.Logger;

/**
 * The one place where the fleet decides whether a failure is the record's fault (permanent: dead
 * letter) or the environment's (transient: retry, never a dead letter, never a committed offset).
 *
 * <p>Transient: the broker did not acknowledge an outcome or dead letter ({@link
 * PublishException}); a Kafka client error that Kafka itself calls retriable ({@link
 * RetriableException}, which includes its timeouts); a checkpoint store failure of kind {@code
 * TRANSPORT} (broker or file system), also when a stage wrapped it as {@code CHECKPOINT_TRANSPORT}.
 * A checkpoint read that timed out ({@code CHECKPOINT_NOT_FOUND}, {@code CHECKPOINT_MISSING_CHUNK})
 * is transient only while the broker does not answer ({@link BrokerProbe}): with the broker up, the
 * chunks are really missing and waiting will not bring them. Everything else, from undecodable
 * bytes to a NaN loss, is permanent.
 *
 * <p>A {@code @Startup} {@code @Singleton}, like {@link RecordGuard}: the fault path is built whole
 * when the service starts, so that it never creates a bean while the broker is already down, and
 * its users hold it directly rather than through a client proxy.
 */
@Startup
@Singleton
public class Failures {

  /** How a failure is classified before the broker is asked. */
  public enum Kind {
    /** Retried: the environment failed. */
    TRANSIENT,
    /** A checkpoint read that timed out: transient while the broker is unreachable. */
    TRANSIENT_WHILE_BROKER_DOWN,
    /** The record's fault: dead letter. */
    PERMANENT
  }

  private static final Logger LOG = Logger.getLogger(Failures.class);
  private static final int MAX_CAUSES = 16;

  private final BrokerProbe broker;

  public Failures(BrokerProbe broker) {
    this.broker = broker;
  }

  /** Whether {@code error} is transient now (asks the broker for a timed-out checkpoint read). */
  public boolean isTransient(Throwable error) {
    return switch (kind(error)) {
      case TRANSIENT -> true;
      case PERMANENT -> false;
      case TRANSIENT_WHILE_BROKER_DOWN -> {
        boolean down = !broker.reachable();
        LOG.infof(
            "checkpoint read timed out and the broker is %s: %s",
            down ? "unreachable (transient, retried)" : "reachable (the checkpoint is missing)",
            error.getMessage());
        yield down;
      }
    };
  }

  /**
   * The kind of {@code error}, from the first exception in its cause chain that says: a judgement
   * about the input ({@link RejectedInputException}, {@link CheckpointTransportException}, {@link
   * EventDecodingException}) ends the walk.
   */
  public static Kind kind(Throwable error) {
    Throwable t = error;
    for (int depth = 0; t != null && depth < MAX_CAUSES; depth++, t = t.getCause()) {
      if (t instanceof PublishException
          || t instanceof TransientFailureException
          || t instanceof RetriableException) {
        return Kind.TRANSIENT;
      }
      if (t instanceof RejectedInputException
          || t instanceof CheckpointTransportException
          || t instanceof EventDecodingException) {
        return of(RejectionReason.of(t));
      }
    }
    return Kind.PERMANENT;
  }

  private static Kind of(RejectionReason reason) {
    return switch (reason) {
      case CHECKPOINT_TRANSPORT -> Kind.TRANSIENT;
      case CHECKPOINT_NOT_FOUND, CHECKPOINT_MISSING_CHUNK -> Kind.TRANSIENT_WHILE_BROKER_DOWN;
      default -> Kind.PERMANENT;
    };
  }
}
