package io.qatfleet.trainer.messaging;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.JobCancelled;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.RetrainTriggered;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.service.DeadLetters;
import io.qatfleet.service.PublishException;
import io.qatfleet.service.RecordGuard;
import io.qatfleet.service.SealedEvents;
import io.qatfleet.service.ServiceStoppingException;
import io.qatfleet.trainer.service.TrainingService;
import io.qatfleet.trainer.service.TriggerService;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * The trainer's work consumers: {@code qat.jobs} (JobSubmitted → float baseline), {@code qat.train}
 * (TrainRequested / RetrainRequested → QAT round) and {@code qat.triggers} (RetrainTriggered → a
 * new job). A job or train record must carry the fleet's seal ({@link SealedEvents}: written by the
 * job API or a fleet service), else it is dead-lettered before anything reads the stage ledger; a
 * trigger comes from outside the fleet and is authorized by the broker's ACLs alone, and starts
 * nothing but a retraining of a model whose approval signature verifies. Each record is decoded
 * strictly and handed to its service on a worker thread ({@code @Blocking}, in order per channel);
 * whatever fails, from undecodable bytes to a NaN loss, goes to the dead-letter topic through
 * {@link DeadLetters} and the consumer moves on. A failure that is not the record's fault (a broker
 * that does not acknowledge, {@link PublishException}; a checkpoint store that cannot be reached)
 * is retried with backoff and, when the retries are spent, fails the record ({@link RecordGuard});
 * a record that killed the trainer {@code qat.retry.poison-pill-attempts} times is parked as {@code
 * POISON_PILL}. The offset is committed (throttled strategy) only after the handler returns, so a
 * trainer killed mid-round gets the request again and resumes it from its epoch checkpoint.
 */
@ApplicationScoped
public class WorkListener {

  private static final Logger LOG = Logger.getLogger(WorkListener.class);

  private final EventCodec codec;
  private final SealedEvents events;
  private final TrainingService training;
  private final TriggerService triggers;
  private final DeadLetters deadLetters;
  private final RecordGuard guard;

  WorkListener(
      EventCodec codec,
      SealedEvents events,
      TrainingService training,
      TriggerService triggers,
      DeadLetters deadLetters,
      RecordGuard guard) {
    this.codec = codec;
    this.events = events;
    this.training = training;
    this.triggers = triggers;
    this.deadLetters = deadLetters;
    this.guard = guard;
  }

  @Incoming(Channels.JOBS_IN)
  @Blocking
  public void onJob(ConsumerRecord<String, byte[]> record) {
    handle(
        record,
        true,
        DeadLetters.REJECTED_STAGE,
        event -> {
          if (event instanceof JobSubmitted job) {
            training.baseline(job);
          } else if (event instanceof JobCancelled cancelled) {
            // Read by every instance's job view (JobStops); nothing to do as work.
            LOG.infof("job %s cancelled by %s", cancelled.jobId(), cancelled.cancelledBy());
          } else {
            throw unexpected(event, "JobSubmitted or JobCancelled");
          }
        });
  }

  @Incoming(Channels.TRAIN_IN)
  @Blocking
  public void onTrain(ConsumerRecord<String, byte[]> record) {
    handle(
        record,
        true,
        DeadLetters.ERROR_STAGE,
        event -> {
          if (event instanceof TrainRequested request) {
            training.qatRound(request);
          } else if (event instanceof RetrainRequested request) {
            training.qatRound(request);
          } else {
            throw unexpected(event, "TrainRequested or RetrainRequested");
          }
        });
  }

  @Incoming(Channels.TRIGGERS_IN)
  @Blocking
  public void onTrigger(ConsumerRecord<String, byte[]> record) {
    handle(
        record,
        false,
        DeadLetters.ERROR_STAGE,
        event -> {
          if (event instanceof RetrainTriggered trigger) {
            triggers.trigger(trigger);
          } else {
            throw unexpected(event, "RetrainTriggered");
          }
        });
  }

  /**
   * Decodes {@code record} (after its seal, when {@code sealed}: triggers come from operators and
   * their CronJob, not from the fleet) and runs {@code handler}, under the fleet's fault rules
   * ({@link RecordGuard}); dead-letters what fails for the record's sake.
   */
  private void handle(
      ConsumerRecord<String, byte[]> record,
      boolean sealed,
      String decodeFailureStage,
      Handler handler) {
    guard.process(
        record,
        sealed,
        DeadLetters.ERROR_STAGE,
        () -> work(record, sealed, decodeFailureStage, handler));
  }

  private void work(
      ConsumerRecord<String, byte[]> record,
      boolean sealed,
      String decodeFailureStage,
      Handler handler) {
    QatEvent event;
    try {
      event = sealed ? events.open(record) : codec.decode(record.value());
    } catch (EventDecodingException | RejectedInputException e) {
      // An unsealed record that does not decode names no job anybody vouches for: tell none.
      deadLetters.reject(record, e, sealed ? decodeFailureStage : null);
      return;
    }
    try {
      handler.handle(event);
    } catch (PublishException | ServiceStoppingException e) {
      throw e;
    } catch (Exception e) {
      LOG.warnf(e, "job %s round %d failed", event.jobId(), event.round());
      deadLetters.reject(record, e, DeadLetters.ERROR_STAGE);
    }
  }

  private static RejectedInputException unexpected(QatEvent event, String expected) {
    return new RejectedInputException(
        RejectionReason.UNEXPECTED_EVENT,
        event.getClass().getSimpleName() + " does not belong on this topic; expected " + expected);
  }

  @FunctionalInterface
  private interface Handler {
    void handle(QatEvent event) throws Exception;
  }
}
