package io.qatfleet.validator.messaging;

import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.service.DeadLetters;
import io.qatfleet.service.PublishException;
import io.qatfleet.service.RecordGuard;
import io.qatfleet.service.SealedEvents;
import io.qatfleet.validator.service.ValidationService;
import io.qatfleet.validator.service.ValidatorMetrics;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Consumes {@code qat.validate} (String job-id keys, sealed JSON events: {@link SealedEvents}) and
 * hands each event to {@link ValidationService} on a worker thread; records of one partition are
 * handled one after the other, so a job's baseline is evaluated before its rounds. The offset is
 * committed (throttled strategy) only after the handler returned, i.e. after its outcome was
 * acknowledged.
 *
 * <p>Bad input never stops the consumer: a record that does not decode, an event that does not
 * belong here or that no fleet service sealed, an invalid spec, a missing baseline, a checkpoint
 * that cannot be fetched or read, or any other failure of the evaluation goes to {@code qat.dlq} as
 * a {@link DeadLetter} with the reason and the original bytes ({@link DeadLetters}), with a {@code
 * StatusUpdate} of stage "error" for the job (named by the event, else by the record key).
 *
 * <p>A failure that is not the record's fault (the decision's transaction not committed, {@link
 * PublishException}; the checkpoint store unreachable) is retried with backoff by {@link
 * RecordGuard}, which runs the whole evaluation and decision again: a decision is one transaction
 * that either committed or left nothing visible, so deciding again is safe. When the retries are
 * spent the record fails (not committed, never dead-lettered) and the restarted validator decides
 * it again. A record that killed the validator {@code qat.retry.poison-pill-attempts} times is
 * parked as {@code POISON_PILL}.
 */
@ApplicationScoped
public class ValidateListener {

  private static final Logger LOG = Logger.getLogger(ValidateListener.class);

  private final SealedEvents events;
  private final ValidationService service;
  private final DeadLetters deadLetters;
  private final ValidatorMetrics metrics;
  private final RecordGuard guard;

  public ValidateListener(
      SealedEvents events,
      ValidationService service,
      DeadLetters deadLetters,
      ValidatorMetrics metrics,
      RecordGuard guard) {
    this.events = events;
    this.service = service;
    this.deadLetters = deadLetters;
    this.metrics = metrics;
    this.guard = guard;
  }

  @Incoming(Channels.VALIDATE_IN)
  @Blocking
  public void consume(ConsumerRecord<String, byte[]> record) {
    guard.process(record, true, DeadLetters.ERROR_STAGE, () -> validate(record));
  }

  private void validate(ConsumerRecord<String, byte[]> record) {
    try {
      QatEvent event = events.open(record);
      if (event instanceof FloatCheckpointReady e) {
        service.baseline(e);
      } else if (event instanceof QuantizedModelReady e) {
        service.quantized(
            e,
            new EventPublisher.Input(
                new TopicPartition(record.topic(), record.partition()), record.offset()));
      } else {
        throw new RejectedInputException(
            RejectionReason.UNEXPECTED_EVENT,
            event.getClass().getSimpleName()
                + " does not belong on qat.validate; expected a baseline FloatCheckpointReady"
                + " or QuantizedModelReady");
      }
    } catch (PublishException e) {
      throw e;
    } catch (EventDecodingException | RuntimeException e) {
      if (RejectionReason.of(e) == RejectionReason.PROCESSING_FAILED) {
        LOG.errorf(
            e, "failed to validate %s-%d@%d", record.topic(), record.partition(), record.offset());
      }
      deadLetters.reject(record, e, DeadLetters.ERROR_STAGE);
      metrics.error();
    }
  }
}
