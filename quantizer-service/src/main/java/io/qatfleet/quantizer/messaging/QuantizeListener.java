package io.qatfleet.quantizer.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.qatfleet.core.model.ModelGraph;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.core.train.TrainingProgress;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.stage.StageLedger;
import io.qatfleet.quantizer.service.QuantizeResult;
import io.qatfleet.quantizer.service.QuantizeService;
import io.qatfleet.quantizer.service.RejectedInputException;
import io.quarkus.runtime.Startup;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Consumes {@code qat.quantize}: for each {@link FloatCheckpointReady} of a QAT round it runs the
 * {@link QuantizeService} and publishes {@link QuantizedModelReady} on {@code qat.validate}, with
 * {@link StatusUpdate}s on {@code qat.status} around it. It is the only place where records enter
 * the quantizer, so it is where the fleet's rules are kept:
 *
 * <ul>
 *   <li>bad input (undecodable bytes, unknown schema version or type, an invalid spec, a missing or
 *       corrupted checkpoint, a checkpoint without quantization parameters) becomes a {@link
 *       DeadLetter} on {@code qat.dlq} plus a {@code StatusUpdate(stage "error")} for the job, and
 *       the consumer moves on;
 *   <li>a (jobId, round) already quantized is acknowledged and skipped ({@link StageLedger}, marked
 *       only after the broker acknowledged the outcome);
 *   <li>a float baseline ({@code baseline=true}) is the validator's business and is skipped.
 * </ul>
 *
 * <p>Records are handled one at a time on a worker thread ({@code @Blocking}, ordered); the
 * connector keeps polling meanwhile, so a long calibration causes no rebalance. A record is
 * acknowledged when this method returns; only a broker failure while publishing throws, leaving the
 * offset uncommitted.
 */
@Startup
@ApplicationScoped
public class QuantizeListener {

  /** Ledger stage of this service. */
  public static final String STAGE = "quantize";

  /** {@code StatusUpdate.stage} of a job whose input this service rejected. */
  public static final String ERROR_STAGE = "error";

  private static final Logger LOG = Logger.getLogger(QuantizeListener.class);
  private static final int MAX_STATUS_MESSAGE = 2000;

  private final QuantizeService service;
  private final EventPublisher publisher;
  private final StageLedger ledger;
  private final EventCodec codec;
  private final MeterRegistry registry;
  private final Clock clock = Clock.systemUTC();
  private final Timer ok;
  private final Timer rejected;
  private final Timer failed;
  private final Counter duplicates;

  public QuantizeListener(
      QuantizeService service,
      EventPublisher publisher,
      StageLedger ledger,
      EventCodec codec,
      MeterRegistry registry) {
    this.service = service;
    this.publisher = publisher;
    this.ledger = ledger;
    this.codec = codec;
    this.registry = registry;
    this.ok = durationTimer("ok");
    this.rejected = durationTimer("reject");
    this.failed = durationTimer("error");
    this.duplicates =
        Counter.builder("qat.quantize.duplicates")
            .description("Redelivered or duplicated events of an already quantized round, skipped")
            .register(registry);
  }

  private Timer durationTimer(String outcome) {
    return Timer.builder("qat.quantize.duration")
        .description("Time to handle one qat.quantize record, by outcome")
        .tag("outcome", outcome)
        .register(registry);
  }

  @Incoming(Channels.QUANTIZE_IN)
  @Blocking
  public void onRecord(ConsumerRecord<String, byte[]> record) {
    long t0 = System.nanoTime();
    QatEvent decoded;
    try {
      decoded = codec.decode(record.value());
    } catch (EventDecodingException e) {
      reject(record, e.reason().name(), e);
      rejected.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      return;
    }
    if (!(decoded instanceof FloatCheckpointReady event)) {
      reject(
          record,
          "UNEXPECTED_TYPE",
          new IllegalArgumentException(
              Channels.QUANTIZE_IN
                  + " carries FloatCheckpointReady, got "
                  + decoded.getClass().getSimpleName()));
      rejected.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      return;
    }
    if (event.baseline()) {
      LOG.infof(
          "job %s round %d: float baseline, nothing to quantize; skipped",
          event.jobId(), event.round());
      return;
    }
    if (ledger.isDone(event.jobId(), event.round(), STAGE)) {
      duplicates.increment();
      LOG.infof(
          "job %s round %d: already quantized, duplicate event %s skipped",
          event.jobId(), event.round(), event.eventId());
      return;
    }
    status(event, 0, "calibrating round " + event.round(), null, null, null);
    QuantizeResult result;
    try {
      result = service.quantize(event, progress(event));
    } catch (RejectedInputException e) {
      reject(record, e.errorType(), e);
      rejected.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      return;
    } catch (RuntimeException e) {
      LOG.errorf(e, "job %s round %d: quantization failed", event.jobId(), event.round());
      reject(record, e.getClass().getSimpleName(), e);
      failed.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      return;
    }
    QuantizedModelReady outcome =
        new QuantizedModelReady(
            QatEvent.newEventId(),
            event.jobId(),
            event.round(),
            result.integer(),
            clock.instant(),
            event.spec(),
            result.calibrated(),
            result.metrics());
    publisher.publishOutcome(outcome);
    ledger.markDone(
        event.jobId(),
        event.round(),
        STAGE,
        new String(codec.encode(outcome), StandardCharsets.UTF_8));
    status(
        event,
        1,
        "quantized round " + event.round() + ": integer checkpoint " + result.integer().shortId(),
        null,
        result.metrics().get("calibrationLoss"),
        null);
    ok.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    LOG.infof(
        "job %s round %d: quantized, integer %s, calibrated %s",
        event.jobId(), event.round(), result.integer().shortId(), result.calibrated().shortId());
  }

  /** Parks {@code record} on {@code qat.dlq} and tells the job, where one is named, why. */
  private void reject(ConsumerRecord<String, byte[]> record, String errorType, Exception error) {
    DeadLetter generic = codec.toDeadLetter(record, error);
    DeadLetter letter =
        new DeadLetter(
            generic.eventId(),
            generic.jobId(),
            generic.round(),
            null,
            generic.timestamp(),
            generic.sourceTopic(),
            generic.partition(),
            generic.offset(),
            errorType,
            generic.reason(),
            generic.originalBase64(),
            generic.originalKey());
    LOG.warnf(
        "%s-%d@%d (job %s) to %s: %s",
        record.topic(),
        record.partition(),
        record.offset(),
        letter.jobId(),
        errorType,
        letter.reason());
    publisher.publishDeadLetter(letter);
    registry.counter("qat.dlq.records", "errorType", errorType).increment();
    if (!DeadLetter.UNKNOWN_JOB.equals(letter.jobId())) {
      String message = errorType + ": " + letter.reason();
      publisher.publishStatus(
          new StatusUpdate(
              QatEvent.newEventId(),
              letter.jobId(),
              letter.round(),
              null,
              clock.instant(),
              ERROR_STAGE,
              0,
              message.length() > MAX_STATUS_MESSAGE
                  ? message.substring(0, MAX_STATUS_MESSAGE) + "..."
                  : message,
              null,
              null,
              null));
    }
  }

  private TrainingListener progress(FloatCheckpointReady event) {
    return new TrainingListener() {
      @Override
      public void onEpochEnd(TrainingProgress p, ModelGraph graph) {
        status(
            event,
            // Projection and publishing follow the last epoch.
            0.9 * (p.epoch() + 1) / Math.max(1, p.epochs()),
            String.format(
                Locale.ROOT, "calibration epoch %d/%d", p.epoch() + 1, Math.max(1, p.epochs())),
            p.epoch() + 1,
            p.loss(),
            p.samplesPerSecond());
      }
    };
  }

  private void status(
      FloatCheckpointReady event,
      double progress,
      String message,
      Integer epoch,
      Double loss,
      Double samplesPerSecond) {
    publisher.publishStatus(
        new StatusUpdate(
            QatEvent.newEventId(),
            event.jobId(),
            event.round(),
            event.checkpoint(),
            clock.instant(),
            STAGE,
            progress,
            message,
            epoch,
            loss != null && Double.isFinite(loss) ? loss : null,
            samplesPerSecond != null && Double.isFinite(samplesPerSecond)
                ? samplesPerSecond
                : null));
  }
}
