package io.qatfleet.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.QatEvent;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.EnumMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The one dead-letter path of every service: a record a stage cannot process goes to {@code
 * qat.dlq} as a {@link DeadLetter} with its original bytes, its {@link RejectionReason} and the
 * reason in words; the job it names (by its value, else by its key), where the record is the
 * fleet's, gets a {@code StatusUpdate} saying why; {@code qat.dlq.records{service,reason}} counts
 * it.
 *
 * <p>Every reason's counter exists at 0 from start-up ({@code @Startup}), so that Prometheus'
 * {@code increase()} sees the first dead letter of a pod. The dead letter is awaited like an
 * outcome: when the broker does not take it, {@link PublishException} fails the record instead of
 * committing its offset with nothing written. A failure that is not the record's fault ({@link
 * Failures}: broker down, timeouts) is never parked: it is thrown on as {@link
 * TransientFailureException} for {@link RecordGuard} to retry.
 */
@Startup
@ApplicationScoped
public class DeadLetters {

  /** Status stage of a job whose processing failed. */
  public static final String ERROR_STAGE = "error";

  /** Status stage of a submission rejected for its spec or encoding (docs/fleet.md step 1). */
  public static final String REJECTED_STAGE = "rejected";

  /** The counter of parked records, tagged {@code service} and {@code reason}. */
  public static final String METRIC = "qat.dlq.records";

  static final int MAX_STATUS_MESSAGE = 2000;

  private static final Logger LOG = Logger.getLogger(DeadLetters.class);

  private final EventCodec codec;
  private final FleetPublisher publisher;
  private final Failures failures;
  private final Map<RejectionReason, Counter> counters = new EnumMap<>(RejectionReason.class);

  public DeadLetters(
      EventCodec codec,
      FleetPublisher publisher,
      Failures failures,
      MeterRegistry registry,
      @ConfigProperty(name = "quarkus.application.name") String service) {
    this.codec = codec;
    this.publisher = publisher;
    this.failures = failures;
    for (RejectionReason reason : RejectionReason.values()) {
      counters.put(
          reason,
          Counter.builder(METRIC)
              .description("Records parked on qat.dlq, by service and reason")
              .tag("service", service)
              .tag("reason", reason.name())
              .register(registry));
    }
  }

  /**
   * Parks {@code record} on {@code qat.dlq} because of {@code error} and tells the job's status
   * stream under {@code statusStage}. A record that is not the fleet's tells no job, so that nobody
   * outside it can set a job's status or fill the job views with made-up ids: one whose seal is
   * missing or does not verify ({@code UNSEALED_EVENT}, {@code BAD_SEAL}), and one from a topic the
   * fleet does not seal that did not decode into a valid event (the caller passes a null {@code
   * statusStage}).
   *
   * @return the reason the record was parked under
   * @throws PublishException when the broker did not take the dead letter
   * @throws TransientFailureException when {@code error} is not the record's fault ({@link
   *     Failures}): it is never parked, {@link RecordGuard} tries the record again
   */
  public RejectionReason reject(
      ConsumerRecord<String, byte[]> record, Exception error, String statusStage) {
    if (failures.isTransient(error)) {
      throw new TransientFailureException(
          "not parking "
              + record.topic()
              + "-"
              + record.partition()
              + "@"
              + record.offset()
              + ": the failure is transient: "
              + error.getMessage(),
          error);
    }
    RejectionReason reason = RejectionReason.of(error);
    DeadLetter decoded = codec.toDeadLetter(record, error);
    String jobId =
        DeadLetter.UNKNOWN_JOB.equals(decoded.jobId()) && QatEvent.isJobId(record.key())
            ? record.key()
            : decoded.jobId();
    String text =
        reason == RejectionReason.PROCESSING_FAILED
            ? error.getClass().getSimpleName() + ": " + decoded.reason()
            : decoded.reason();
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
            reason.name(),
            text,
            decoded.originalBase64(),
            decoded.originalKey());
    String message = text.startsWith(reason.name()) ? text : reason + ": " + text;
    LOG.warnf(
        "parking %s-%d@%d (job %s) on qat.dlq: %s",
        record.topic(), record.partition(), record.offset(), jobId, message);
    publisher.deadLetter(letter);
    counters.get(reason).increment();
    if (statusStage != null
        && !DeadLetter.UNKNOWN_JOB.equals(jobId)
        && reason != RejectionReason.UNSEALED_EVENT
        && reason != RejectionReason.BAD_SEAL) {
      publisher.status(
          jobId,
          letter.round(),
          statusStage,
          0,
          message.length() > MAX_STATUS_MESSAGE
              ? message.substring(0, MAX_STATUS_MESSAGE) + "..."
              : message);
    }
    return reason;
  }
}
