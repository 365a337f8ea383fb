package io.qatfleet.trainer.messaging;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.trainer.service.RejectedInputException;
import io.qatfleet.trainer.service.TrainerMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jboss.logging.Logger;

/**
 * Where records the trainer cannot process go: a {@link DeadLetter} with the original bytes and the
 * reason on {@code qat.dlq}, and, when the record names a job, a {@link StatusUpdate} for that job
 * ({@code stage "error"}, or {@code "rejected"} for an invalid submission) on {@code qat.status}.
 * Never throws, so that one bad record cannot stop a consumer.
 */
@ApplicationScoped
public class Rejections {

  /** Status stage of a job whose processing failed. */
  public static final String ERROR_STAGE = "error";

  /** Status stage of a submission rejected for its spec or encoding (docs/fleet.md step 1). */
  public static final String REJECTED_STAGE = "rejected";

  private static final Logger LOG = Logger.getLogger(Rejections.class);
  private static final int MAX_STATUS_MESSAGE = 2000;

  private final EventCodec codec;
  private final EventPublisher publisher;
  private final TrainerMetrics metrics;

  Rejections(EventCodec codec, EventPublisher publisher, TrainerMetrics metrics) {
    this.codec = codec;
    this.publisher = publisher;
    this.metrics = metrics;
  }

  /**
   * Parks {@code record} on the dead-letter topic because of {@code error}, and tells the job's
   * status stream under {@code statusStage}.
   */
  public void reject(ConsumerRecord<String, byte[]> record, Exception error, String statusStage) {
    try {
      DeadLetter letter = codec.toDeadLetter(record, error);
      if (error instanceof RejectedInputException rejected) {
        letter =
            new DeadLetter(
                letter.eventId(),
                letter.jobId(),
                letter.round(),
                null,
                letter.timestamp(),
                letter.sourceTopic(),
                letter.partition(),
                letter.offset(),
                rejected.errorType(),
                letter.reason(),
                letter.originalBase64(),
                letter.originalKey());
      }
      LOG.warnf(
          "record %s-%d@%d (job %s) to %s: %s",
          record.topic(),
          record.partition(),
          record.offset(),
          letter.jobId(),
          Channels.DLQ_OUT,
          letter.reason());
      publisher.publish(Channels.DLQ_OUT, letter);
      metrics.countDeadLetter(letter.errorType());
      if (!DeadLetter.UNKNOWN_JOB.equals(letter.jobId())) {
        String reason = letter.errorType() + ": " + letter.reason();
        publisher.status(
            letter.jobId(),
            letter.round(),
            statusStage,
            0,
            reason.length() > MAX_STATUS_MESSAGE
                ? reason.substring(0, MAX_STATUS_MESSAGE) + "..."
                : reason,
            null,
            null,
            null);
      }
    } catch (RuntimeException e) {
      LOG.errorf(
          e,
          "could not dead-letter record %s-%d@%d (original error: %s)",
          record.topic(),
          record.partition(),
          record.offset(),
          error);
    }
  }
}
