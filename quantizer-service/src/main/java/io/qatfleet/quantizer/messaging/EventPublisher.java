package io.qatfleet.quantizer.messaging;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.quantizer.QuantizerConfig;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.jboss.logging.Logger;

/**
 * Produces the quantizer's events as JSON ({@link EventCodec}) keyed by job id: {@link
 * QuantizedModelReady} on {@code qat.validate}, {@link StatusUpdate} on {@code qat.status} and
 * {@link DeadLetter} on {@code qat.dlq}. Outcomes and dead letters wait for the broker's
 * acknowledgement, because only then may the stage be marked done and the input offset committed;
 * status updates are progress only and are not waited for.
 */
@ApplicationScoped
public class EventPublisher {

  private static final Logger LOG = Logger.getLogger(EventPublisher.class);

  private final EventCodec codec;
  private final Emitter<Record<String, byte[]>> validate;
  private final Emitter<Record<String, byte[]>> status;
  private final Emitter<Record<String, byte[]>> dlq;
  private final QuantizerConfig config;

  public EventPublisher(
      EventCodec codec,
      @Channel(Channels.VALIDATE_OUT) Emitter<Record<String, byte[]>> validate,
      @Channel(Channels.STATUS_OUT) Emitter<Record<String, byte[]>> status,
      @Channel(Channels.DLQ_OUT) Emitter<Record<String, byte[]>> dlq,
      QuantizerConfig config) {
    this.codec = codec;
    this.validate = validate;
    this.status = status;
    this.dlq = dlq;
    this.config = config;
  }

  /** Publishes {@code event} on {@code qat.validate} and waits for the broker's ack. */
  public void publishOutcome(QuantizedModelReady event) {
    sendAndAwait(validate, event.jobId(), event);
  }

  /**
   * Publishes {@code letter} on {@code qat.dlq} and waits for the broker's ack. Keyed by the bad
   * record's own key where it had one (so a job's bad records stay together even when their value
   * names no job), else by the job id the letter found.
   */
  public void publishDeadLetter(DeadLetter letter) {
    String key = letter.originalKey() != null ? letter.originalKey() : letter.jobId();
    sendAndAwait(dlq, key, letter);
  }

  /** Publishes {@code update} on {@code qat.status} without waiting; a failure is only logged. */
  public void publishStatus(StatusUpdate update) {
    status
        .send(Record.of(update.jobId(), codec.encode(update)))
        .whenComplete(
            (ok, error) -> {
              if (error != null) {
                LOG.warnf(
                    "status update for job %s not published: %s", update.jobId(), error.toString());
              }
            });
  }

  private void sendAndAwait(Emitter<Record<String, byte[]>> emitter, String key, QatEvent event) {
    String what = event.getClass().getSimpleName() + " for job " + event.jobId();
    try {
      emitter
          .send(Record.of(key, codec.encode(event)))
          .toCompletableFuture()
          .get(config.publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new PublishException(what + " was not acknowledged: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new PublishException(
          what + " was not acknowledged within " + config.publishTimeout(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PublishException("interrupted while publishing " + what, e);
    }
  }

  /**
   * The broker did not take an event. Not the input's fault: the record is left unacknowledged, so
   * that its offset is not committed and it is processed again.
   */
  public static final class PublishException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PublishException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
