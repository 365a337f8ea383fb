package io.qatfleet.trainer.service;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.deadletter.DeadLetterTopic;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.integrity.EventSeal;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.service.FleetPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * The operators' replay of a dead letter (the job API's {@code POST /dead-letters/{id}/replay}):
 * finds the {@link DeadLetter} on {@code qat.dlq} by its event id, and writes the original record
 * (its key and bytes, unchanged) back to the work topic it came from, sealed by this trainer, so
 * that the stage processes it again once its cause (a bug, a missing model) is fixed.
 *
 * <p>Replay must not turn a forgery into a sealed event. So it replays only a dead letter that a
 * fleet service wrote (the letter's own seal verifies), whose original came from a work topic whose
 * records must carry the seal ({@link #WORK_TOPICS}), and whose reason is not {@code
 * UNSEALED_EVENT} or {@code BAD_SEAL}: every work listener verifies a record's seal before anything
 * else can go wrong with it (a poison pill's too), so such a letter's original was sealed by the
 * fleet. The replayed record carries a {@value #REPLAYED_HEADER} header naming the letter.
 */
@ApplicationScoped
public class DeadLetterReplay {

  /** Topics whose dead letters may be replayed: the fleet's sealed work topics. */
  public static final Set<String> WORK_TOPICS =
      Set.of(Topics.JOBS, Topics.TRAIN, Topics.QUANTIZE, Topics.VALIDATE);

  /** Reasons that say the original was not sealed by the fleet: never replayed. */
  public static final Set<RejectionReason> FORGERIES =
      EnumSet.of(RejectionReason.UNSEALED_EVENT, RejectionReason.BAD_SEAL);

  /** Header of a replayed record: the event id of the dead letter it was replayed from. */
  public static final String REPLAYED_HEADER = "qat.replayed-from";

  static final Duration SCAN_TIMEOUT = Duration.ofSeconds(30);
  static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);

  private static final Logger LOG = Logger.getLogger(DeadLetterReplay.class);

  /** Where the original was written again. */
  public record Replayed(String eventId, String topic, int partition, long offset) {}

  /** No dead letter with that id on {@code qat.dlq}. */
  public static final class NotFoundException extends Exception {
    private static final long serialVersionUID = 1L;

    NotFoundException(String message) {
      super(message);
    }
  }

  /** The dead letter exists but may not be replayed; the message says why. */
  public static final class RefusedException extends Exception {
    private static final long serialVersionUID = 1L;

    RefusedException(String message) {
      super(message);
    }
  }

  private final KafkaClientSettings clients;
  private final EventCodec codec;
  private final EventSeal seal;
  private final FleetPublisher publisher;

  public DeadLetterReplay(
      KafkaClientSettings clients, EventCodec codec, EventSeal seal, FleetPublisher publisher) {
    this.clients = clients;
    this.codec = codec;
    this.seal = seal;
    this.publisher = publisher;
  }

  /**
   * Replays the dead letter {@code eventId}.
   *
   * @throws NotFoundException when {@code qat.dlq} holds no dead letter of that id
   * @throws RefusedException when it may not be replayed (class comment)
   * @throws TimeoutException when {@code qat.dlq} could not be read or the broker did not take the
   *     replayed record in time
   */
  public Replayed replay(String eventId)
      throws NotFoundException, RefusedException, TimeoutException, InterruptedException {
    DeadLetter letter = find(eventId);
    Optional<RejectionReason> reason = reason(letter.errorType());
    if (reason.isPresent() && FORGERIES.contains(reason.get())) {
      throw new RefusedException(
          "dead letter "
              + eventId
              + " is "
              + letter.errorType()
              + ": its original was not sealed by the fleet, and replaying it would seal a"
              + " forgery; resubmit the job instead");
    }
    if (!WORK_TOPICS.contains(letter.sourceTopic())) {
      throw new RefusedException(
          "dead letter "
              + eventId
              + " came from "
              + letter.sourceTopic()
              + "; only dead letters of the work topics "
              + WORK_TOPICS.stream().sorted().toList()
              + " are replayed");
    }
    ProducerRecord<String, byte[]> record =
        publisher.record(letter.sourceTopic(), letter.originalKey(), letter.originalBytes());
    record.headers().add(REPLAYED_HEADER, eventId.getBytes(StandardCharsets.UTF_8));
    try (KafkaProducer<String, byte[]> producer =
        clients.producer(
            "replay",
            new StringSerializer(),
            new ByteArraySerializer(),
            KafkaClientSettings.durableProducer())) {
      RecordMetadata written =
          producer.send(record).get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      LOG.infof(
          "replayed dead letter %s (%s, job %s) to %s-%d@%d",
          eventId,
          letter.errorType(),
          letter.jobId(),
          written.topic(),
          written.partition(),
          written.offset());
      return new Replayed(eventId, written.topic(), written.partition(), written.offset());
    } catch (ExecutionException e) {
      TimeoutException failed =
          new TimeoutException(
              "the broker did not take the replayed record on "
                  + letter.sourceTopic()
                  + ": "
                  + e.getCause());
      failed.initCause(e.getCause());
      throw failed;
    }
  }

  /**
   * The dead letter {@code eventId} whose own seal verifies (a fleet service wrote it): a letter of
   * that id written by anyone else is no reason to replay anything.
   */
  private DeadLetter find(String eventId)
      throws NotFoundException, RefusedException, TimeoutException {
    AtomicReference<DeadLetter> sealed = new AtomicReference<>();
    AtomicReference<String> unsealed = new AtomicReference<>();
    DeadLetterTopic.scan(
        clients,
        "replay",
        SCAN_TIMEOUT,
        record -> {
          if (sealed.get() == null) {
            match(record, eventId)
                .ifPresent(
                    letter -> {
                      try {
                        seal.verify(record.key(), record.value(), record.headers());
                        sealed.set(letter);
                      } catch (RejectedInputException e) {
                        unsealed.set(e.getMessage());
                      }
                    });
          }
        });
    if (sealed.get() != null) {
      return sealed.get();
    }
    if (unsealed.get() != null) {
      throw new RefusedException(
          "dead letter " + eventId + " was not written by a fleet service: " + unsealed.get());
    }
    throw new NotFoundException("no dead letter " + eventId + " on " + Topics.DLQ);
  }

  private Optional<DeadLetter> match(ConsumerRecord<String, byte[]> record, String eventId) {
    try {
      QatEvent event = codec.decode(record.value());
      return event instanceof DeadLetter letter && letter.eventId().equals(eventId)
          ? Optional.of(letter)
          : Optional.empty();
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  private static Optional<RejectionReason> reason(String errorType) {
    try {
      return Optional.of(RejectionReason.valueOf(errorType));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
