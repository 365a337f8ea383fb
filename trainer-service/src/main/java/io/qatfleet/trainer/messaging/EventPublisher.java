package io.qatfleet.trainer.messaging;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.trainer.TrainerConfig;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

/**
 * Publishes the trainer's events, JSON-encoded by {@link EventCodec} and keyed by job id so that a
 * job's events stay in order on one partition. {@link #publish} returns only once the broker has
 * acknowledged the record: a stage is marked done in the ledger after its outcome is durable.
 */
@ApplicationScoped
public class EventPublisher {

  private static final Logger LOG = Logger.getLogger(EventPublisher.class);

  private final EventCodec codec;
  private final Duration timeout;
  private final Map<String, MutinyEmitter<byte[]>> emitters;

  EventPublisher(
      EventCodec codec,
      TrainerConfig config,
      @Channel(Channels.JOBS_OUT) MutinyEmitter<byte[]> jobs,
      @Channel(Channels.TRAIN_OUT) MutinyEmitter<byte[]> train,
      @Channel(Channels.VALIDATE_OUT) MutinyEmitter<byte[]> validate,
      @Channel(Channels.QUANTIZE_OUT) MutinyEmitter<byte[]> quantize,
      @Channel(Channels.STATUS_OUT) MutinyEmitter<byte[]> status,
      @Channel(Channels.DLQ_OUT) MutinyEmitter<byte[]> dlq) {
    this.codec = codec;
    this.timeout = config.publishTimeout();
    this.emitters =
        Map.of(
            Channels.JOBS_OUT, jobs,
            Channels.TRAIN_OUT, train,
            Channels.VALIDATE_OUT, validate,
            Channels.QUANTIZE_OUT, quantize,
            Channels.STATUS_OUT, status,
            Channels.DLQ_OUT, dlq);
  }

  /**
   * Sends {@code event} on {@code channel} and waits for the broker's acknowledgement.
   *
   * @throws RuntimeException if the broker did not acknowledge within {@code qat.publish-timeout}
   */
  public void publish(String channel, QatEvent event) {
    MutinyEmitter<byte[]> emitter = emitters.get(channel);
    if (emitter == null) {
      throw new IllegalArgumentException("no outgoing channel " + channel);
    }
    emitter.sendMessage(KafkaRecord.of(event.jobId(), codec.encode(event))).await().atMost(timeout);
  }

  /** Like {@link #publish}, but a failure is only logged: for progress nobody depends on. */
  public void publishQuietly(String channel, QatEvent event) {
    try {
      publish(channel, event);
    } catch (RuntimeException e) {
      LOG.warnf(
          "could not publish %s for job %s on %s: %s",
          event.getClass().getSimpleName(), event.jobId(), channel, e.toString());
    }
  }

  /**
   * Publishes a {@link StatusUpdate} on {@code qat.status}, quietly: progress that nobody's work
   * depends on. Progress is clamped to [0, 1]; non-finite numbers are left out.
   */
  public void status(
      String jobId,
      int round,
      String stage,
      double progress,
      String message,
      Integer epoch,
      Double loss,
      Double samplesPerSecond) {
    publishQuietly(
        Channels.STATUS_OUT,
        new StatusUpdate(
            QatEvent.newEventId(),
            jobId,
            round,
            null,
            Instant.now(),
            stage,
            Math.min(1, Math.max(0, progress)),
            message,
            epoch,
            loss != null && Double.isFinite(loss) ? loss : null,
            samplesPerSecond != null && Double.isFinite(samplesPerSecond)
                ? Math.max(0, samplesPerSecond)
                : null));
  }
}
