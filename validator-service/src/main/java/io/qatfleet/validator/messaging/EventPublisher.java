package io.qatfleet.validator.messaging;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.ValidationCompleted;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Writes the validator's events to their topics as {@link EventCodec} JSON: job events keyed by job
 * id (so they stay in order with the job's other events), registry entries keyed by model name.
 * Every send blocks until the broker acknowledged the record, because a stage may be marked done in
 * the ledger only after its outcome is safely on the topic. A send the broker refuses raises {@link
 * PublishException}; the caller lets it fail the record rather than mark anything done.
 */
@ApplicationScoped
public class EventPublisher {

  /** How long one send may wait for the broker's acknowledgement. */
  static final Duration ACK_TIMEOUT = Duration.ofSeconds(60);

  private final EventCodec codec = new EventCodec();
  private final Clock clock = Clock.systemUTC();
  private final MutinyEmitter<byte[]> deploy;
  private final MutinyEmitter<byte[]> models;
  private final MutinyEmitter<byte[]> train;
  private final MutinyEmitter<byte[]> status;
  private final MutinyEmitter<byte[]> dlq;

  public EventPublisher(
      @Channel(Channels.DEPLOY_OUT) MutinyEmitter<byte[]> deploy,
      @Channel(Channels.MODELS_OUT) MutinyEmitter<byte[]> models,
      @Channel(Channels.TRAIN_OUT) MutinyEmitter<byte[]> train,
      @Channel(Channels.STATUS_OUT) MutinyEmitter<byte[]> status,
      @Channel(Channels.DLQ_OUT) MutinyEmitter<byte[]> dlq) {
    this.deploy = deploy;
    this.models = models;
    this.train = train;
    this.status = status;
    this.dlq = dlq;
  }

  public Clock clock() {
    return clock;
  }

  /** The validation report, on {@code qat.status}. */
  public void validationCompleted(ValidationCompleted event) {
    send(status, event.jobId(), event);
  }

  /**
   * The approval on {@code qat.deploy}, then the same record as registry entry on {@code
   * qat.models}.
   */
  public void approved(ModelApproved event) {
    send(deploy, event.jobId(), event);
    send(models, event.modelName(), event);
  }

  public void retrain(RetrainRequested event) {
    send(train, event.jobId(), event);
  }

  public void jobFailed(JobFailed event) {
    send(status, event.jobId(), event);
  }

  public void status(StatusUpdate event) {
    send(status, event.jobId(), event);
  }

  /** A dead letter on {@code qat.dlq}, keyed like the record it parks. */
  public void deadLetter(DeadLetter letter) {
    send(dlq, letter.originalKey() != null ? letter.originalKey() : letter.jobId(), letter);
  }

  /** A progress line for the job on {@code qat.status}. */
  public void status(String jobId, int round, String stage, double progress, String message) {
    status(
        new StatusUpdate(
            QatEvent.newEventId(),
            jobId,
            round,
            null,
            clock.instant(),
            stage,
            progress,
            message,
            null,
            null,
            null));
  }

  private void send(MutinyEmitter<byte[]> emitter, String key, QatEvent event) {
    Message<byte[]> message =
        Message.of(codec.encode(event))
            .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build());
    try {
      emitter.sendMessage(message).await().atMost(ACK_TIMEOUT);
    } catch (RuntimeException e) {
      throw new PublishException(
          "broker did not acknowledge "
              + event.getClass().getSimpleName()
              + " for job "
              + event.jobId()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** The broker did not take an event; nothing may be marked done. */
  public static final class PublishException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PublishException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
