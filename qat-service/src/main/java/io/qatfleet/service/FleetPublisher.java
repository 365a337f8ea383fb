package io.qatfleet.service;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.integrity.EventSeal;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * How every service writes events: JSON from the {@link EventCodec}, keyed by job id (registry
 * entries by model name) so that a job's events stay in order on one partition, and sealed with the
 * fleet's key ({@link EventSeal}, header {@value EventSeal#HEADER}) so that the stages downstream
 * know a fleet service wrote it ({@link SealedEvents}).
 *
 * <p>Two kinds of sends, the same in every service. Outcomes, reports and dead letters wait for the
 * broker's acknowledgement ({@code qat.publish-timeout}), because only then may a stage be marked
 * done and its input offset committed; when the broker does not acknowledge, {@link
 * PublishException} fails the record. Progress ({@link #status}) is not waited for; a failed
 * progress update is logged and nothing depends on it.
 */
@ApplicationScoped
public class FleetPublisher {

  private static final Logger LOG = Logger.getLogger(FleetPublisher.class);

  private final EventCodec codec;
  private final Duration timeout;
  private final MutinyEmitter<byte[]> status;
  private final MutinyEmitter<byte[]> dlq;
  private final EventSeal seal;
  private final Clock clock = Clock.systemUTC();

  @Inject
  public FleetPublisher(
      EventCodec codec,
      EventSeal seal,
      FleetConfig config,
      @Channel(FleetChannels.STATUS_OUT) MutinyEmitter<byte[]> status,
      @Channel(FleetChannels.DLQ_OUT) MutinyEmitter<byte[]> dlq) {
    this(codec, seal, config.publishTimeout(), status, dlq);
  }

  FleetPublisher(
      EventCodec codec,
      EventSeal seal,
      Duration timeout,
      MutinyEmitter<byte[]> status,
      MutinyEmitter<byte[]> dlq) {
    this.codec = codec;
    this.seal = seal;
    this.timeout = timeout;
    this.status = status;
    this.dlq = dlq;
  }

  public Clock clock() {
    return clock;
  }

  /** Sends {@code event} keyed by its job id and waits for the broker's acknowledgement. */
  public void publish(MutinyEmitter<byte[]> emitter, QatEvent event) {
    publish(emitter, event.jobId(), event);
  }

  /**
   * Sends {@code event} keyed by {@code key} and waits for the broker's acknowledgement.
   *
   * @throws PublishException when the broker refuses it or does not answer in time
   */
  public void publish(MutinyEmitter<byte[]> emitter, String key, QatEvent event) {
    try {
      emitter.sendMessage(message(key, event)).await().atMost(timeout);
    } catch (RuntimeException e) {
      throw new PublishException(
          "broker did not acknowledge "
              + event.getClass().getSimpleName()
              + " for job "
              + event.jobId()
              + " within "
              + timeout
              + ": "
              + e,
          e);
    }
  }

  /** A report others act on (ValidationCompleted, JobFailed) on {@code qat.status}, awaited. */
  public void report(QatEvent event) {
    publish(status, event);
  }

  /**
   * {@code letter} on {@code qat.dlq}, awaited; keyed by the bad record's own key where it had one
   * (so a job's bad records stay together even when their value names no job), else by job id.
   */
  public void deadLetter(DeadLetter letter) {
    publish(dlq, letter.originalKey() != null ? letter.originalKey() : letter.jobId(), letter);
  }

  /** A progress line for the job on {@code qat.status}, not waited for. */
  public void status(String jobId, int round, String stage, double progress, String message) {
    status(jobId, round, stage, progress, message, null, null, null);
  }

  /**
   * A {@link StatusUpdate} on {@code qat.status}, not waited for: progress nobody's work depends
   * on. Progress is clamped to [0, 1]; non-finite numbers are left out.
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
    StatusUpdate update =
        new StatusUpdate(
            QatEvent.newEventId(),
            jobId,
            round,
            null,
            clock.instant(),
            stage,
            Double.isFinite(progress) ? Math.min(1, Math.max(0, progress)) : 0,
            message,
            epoch,
            finite(loss),
            samplesPerSecond == null ? null : finite(Math.max(0, samplesPerSecond)));
    status
        .sendMessage(message(jobId, update))
        .subscribe()
        .with(
            ok -> {},
            error ->
                LOG.warnf("status update for job %s not published: %s", jobId, error.toString()));
  }

  private static Double finite(Double v) {
    return v != null && Double.isFinite(v) ? v : null;
  }

  /**
   * {@code event} as a sealed record for {@code topic} keyed by {@code key}: for a producer of the
   * service's own (a transactional one) that writes what the channels would.
   */
  public ProducerRecord<String, byte[]> record(String topic, String key, QatEvent event) {
    return record(topic, key, codec.encode(event));
  }

  /**
   * {@code value} as-is, sealed, as a record for {@code topic} keyed by {@code key}: for the
   * trainer's replay of a dead letter whose original the fleet had sealed (the bytes are not
   * re-encoded, so the event keeps its id and the stages' ledgers still know it).
   */
  public ProducerRecord<String, byte[]> record(String topic, String key, byte[] value) {
    ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, value);
    seal.sealInto(record.headers(), key, value);
    return record;
  }

  private Message<byte[]> message(String key, QatEvent event) {
    byte[] value = codec.encode(event);
    RecordHeaders headers = new RecordHeaders();
    seal.sealInto(headers, key, value);
    return Message.of(value)
        .addMetadata(
            OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(key)
                .withHeaders(headers)
                .build());
  }
}
