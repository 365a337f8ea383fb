package io.qatfleet.validator.messaging;

import io.qatfleet.messaging.checkpoint.CheckpointTransportException;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.validator.messaging.EventPublisher.PublishException;
import io.qatfleet.validator.service.InvalidInputException;
import io.qatfleet.validator.service.ValidationService;
import io.qatfleet.validator.service.ValidatorMetrics;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Consumes {@code qat.validate} (String job-id keys, {@link EventCodec} JSON values) and hands each
 * event to {@link ValidationService} on a worker thread; records of one partition are handled one
 * after the other, so a job's baseline is evaluated before its rounds. The offset is committed
 * (throttled strategy) only after the handler returned, i.e. after its outcome was acknowledged.
 *
 * <p>Bad input never stops the consumer: a record that does not decode, an event that does not
 * belong here, an invalid spec, a missing baseline, a checkpoint that cannot be fetched or read, or
 * any other failure of the evaluation goes to {@code qat.dlq} as a {@link DeadLetter} with the
 * reason and the original bytes, with a {@code StatusUpdate} of stage {@value #ERROR_STAGE} for the
 * job (named by the event, else by the record key). Only a failure to publish (the broker refuses
 * the outcome) fails the record, since nothing could be reported then.
 */
@ApplicationScoped
public class ValidateListener {

  /** Stage of the StatusUpdate that reports an error for a job. */
  public static final String ERROR_STAGE = "error";

  private static final Logger LOG = Logger.getLogger(ValidateListener.class);

  private final EventCodec codec = new EventCodec();
  private final ValidationService service;
  private final EventPublisher publisher;
  private final ValidatorMetrics metrics;

  public ValidateListener(
      ValidationService service, EventPublisher publisher, ValidatorMetrics metrics) {
    this.service = service;
    this.publisher = publisher;
    this.metrics = metrics;
  }

  @Incoming(Channels.VALIDATE_IN)
  @Blocking
  public void consume(ConsumerRecord<String, byte[]> record) {
    try {
      QatEvent event = codec.decode(record.value());
      if (event instanceof FloatCheckpointReady e) {
        service.baseline(e);
      } else if (event instanceof QuantizedModelReady e) {
        service.quantized(e);
      } else {
        throw new InvalidInputException(
            InvalidInputException.UNEXPECTED_EVENT,
            event.getClass().getSimpleName()
                + " does not belong on qat.validate; expected a baseline FloatCheckpointReady"
                + " or QuantizedModelReady");
      }
    } catch (PublishException e) {
      throw e;
    } catch (EventDecodingException e) {
      deadLetter(record, e, e.reason().name());
    } catch (InvalidInputException e) {
      deadLetter(record, e, e.errorType());
    } catch (CheckpointTransportException e) {
      deadLetter(record, e, e.reason().name());
    } catch (RuntimeException e) {
      LOG.errorf(
          e, "failed to validate %s-%d@%d", record.topic(), record.partition(), record.offset());
      deadLetter(record, e, e.getClass().getSimpleName());
    }
  }

  private void deadLetter(ConsumerRecord<String, byte[]> record, Exception error, String type) {
    DeadLetter decoded = codec.toDeadLetter(record, error);
    String jobId =
        DeadLetter.UNKNOWN_JOB.equals(decoded.jobId())
                && record.key() != null
                && !record.key().isBlank()
            ? record.key()
            : decoded.jobId();
    DeadLetter letter =
        new DeadLetter(
            decoded.eventId(),
            jobId,
            decoded.round(),
            null,
            decoded.timestamp(),
            decoded.sourceTopic(),
            decoded.partition(),
            decoded.offset(),
            type,
            decoded.reason(),
            decoded.originalBase64(),
            decoded.originalKey());
    LOG.warnf(
        "parking %s-%d@%d on qat.dlq (job %s): %s: %s",
        record.topic(), record.partition(), record.offset(), jobId, type, letter.reason());
    publisher.deadLetter(letter);
    metrics.deadLetter(type);
    metrics.error();
    if (!DeadLetter.UNKNOWN_JOB.equals(jobId)) {
      String reason = letter.reason();
      publisher.status(
          jobId,
          letter.round(),
          ERROR_STAGE,
          0.0,
          abbreviate(reason.startsWith(type) ? reason : type + ": " + reason));
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 2000 ? s : s.substring(0, 2000) + "...";
  }
}
