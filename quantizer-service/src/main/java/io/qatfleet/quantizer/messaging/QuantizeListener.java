package io.qatfleet.quantizer.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.qatfleet.core.model.ModelGraph;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.core.train.TrainingProgress;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.stage.StageLedger;
import io.qatfleet.quantizer.service.QuantizeResult;
import io.qatfleet.quantizer.service.QuantizeService;
import io.qatfleet.service.DeadLetters;
import io.qatfleet.service.FleetPublisher;
import io.qatfleet.service.RecordGuard;
import io.qatfleet.service.SealedEvents;
import io.quarkus.runtime.Startup;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Consumes {@code qat.quantize}: for each {@link FloatCheckpointReady} of a QAT round it runs the
 * {@link QuantizeService} and publishes {@link QuantizedModelReady} on {@code qat.validate}, with
 * {@link StatusUpdate}s on {@code qat.status} around it. It is the only place where records enter
 * the quantizer, so it is where the fleet's rules are kept:
 *
 * <ul>
 *   <li>bad input (a record without the fleet's seal or with a bad one, undecodable bytes, unknown
 *       schema version or type, an invalid spec, a missing or corrupted checkpoint, a checkpoint
 *       without quantization parameters) becomes a {@link DeadLetter} on {@code qat.dlq} plus a
 *       {@code StatusUpdate(stage "error")} for the job, and the consumer moves on;
 *   <li>a (jobId, round) already quantized is acknowledged and skipped ({@link StageLedger}, marked
 *       only after the broker acknowledged the outcome);
 *   <li>a float baseline ({@code baseline=true}) is the validator's business and is skipped.
 * </ul>
 *
 * <p>Records are handled one at a time on a worker thread ({@code @Blocking}, ordered); the
 * connector keeps polling meanwhile, so a long calibration causes no rebalance. A record is
 * acknowledged when this method returns. A failure that is not the record's fault (the broker does
 * not acknowledge the outcome or the dead letter, the checkpoint store cannot be reached) is
 * retried with backoff by {@link RecordGuard}; when the retries are spent the record fails, leaving
 * the offset uncommitted, and is never dead-lettered. A record that killed the quantizer {@code
 * qat.retry.poison-pill-attempts} times is parked as {@code POISON_PILL}.
 */
@Startup
@ApplicationScoped
public class QuantizeListener {

  /** Ledger stage of this service. */
  public static final String STAGE = "quantize";

  private static final Logger LOG = Logger.getLogger(QuantizeListener.class);

  private final QuantizeService service;
  private final FleetPublisher publisher;
  private final MutinyEmitter<byte[]> validate;
  private final DeadLetters deadLetters;
  private final StageLedger ledger;
  private final SealedEvents events;
  private final EventCodec codec;
  private final MeterRegistry registry;
  private final RecordGuard guard;
  private final Timer ok;
  private final Timer rejected;
  private final Timer failed;
  private final Counter duplicates;

  public QuantizeListener(
      QuantizeService service,
      FleetPublisher publisher,
      @Channel(Channels.VALIDATE_OUT) MutinyEmitter<byte[]> validate,
      DeadLetters deadLetters,
      StageLedger ledger,
      SealedEvents events,
      EventCodec codec,
      MeterRegistry registry,
      RecordGuard guard) {
    this.service = service;
    this.publisher = publisher;
    this.validate = validate;
    this.deadLetters = deadLetters;
    this.ledger = ledger;
    this.events = events;
    this.codec = codec;
    this.registry = registry;
    this.guard = guard;
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
    guard.process(record, true, DeadLetters.ERROR_STAGE, () -> quantize(record));
  }

  private void quantize(ConsumerRecord<String, byte[]> record) {
    long t0 = System.nanoTime();
    QatEvent decoded;
    try {
      decoded = events.open(record);
    } catch (EventDecodingException | RejectedInputException e) {
      deadLetters.reject(record, e, DeadLetters.ERROR_STAGE);
      rejected.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      return;
    }
    if (!(decoded instanceof FloatCheckpointReady event)) {
      deadLetters.reject(
          record,
          new RejectedInputException(
              RejectionReason.UNEXPECTED_EVENT,
              Channels.QUANTIZE_IN
                  + " carries FloatCheckpointReady, got "
                  + decoded.getClass().getSimpleName()),
          DeadLetters.ERROR_STAGE);
      rejected.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      return;
    }
    if (event.baseline() != (event.round() == 0)) {
      deadLetters.reject(
          record,
          new RejectedInputException(
              RejectionReason.UNSUPPORTED_ROUND,
              "FloatCheckpointReady of round "
                  + event.round()
                  + (event.baseline() ? " is a baseline" : " is not a baseline")
                  + ": round 0, and only round 0, is the float baseline"),
          DeadLetters.ERROR_STAGE);
      rejected.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      return;
    }
    if (ledger.isDone(event.jobId(), event.round(), STAGE)) {
      duplicates.increment();
      LOG.infof(
          "job %s round %d: already quantized, duplicate event %s skipped",
          event.jobId(), event.round(), event.eventId());
      return;
    }
    status(
        event,
        0,
        event.baseline()
            ? "post-training quantization of the float baseline (round 0)"
            : "calibrating round " + event.round(),
        null,
        null,
        null);
    QuantizeResult result;
    try {
      result = service.quantize(event, progress(event));
    } catch (RejectedInputException e) {
      deadLetters.reject(record, e, DeadLetters.ERROR_STAGE);
      rejected.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      return;
    } catch (RuntimeException e) {
      LOG.errorf(e, "job %s round %d: quantization failed", event.jobId(), event.round());
      deadLetters.reject(record, e, DeadLetters.ERROR_STAGE);
      failed.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      return;
    }
    QuantizedModelReady outcome =
        new QuantizedModelReady(
            QatEvent.newEventId(),
            event.jobId(),
            event.round(),
            result.integer(),
            publisher.clock().instant(),
            event.spec(),
            result.calibrated(),
            result.metrics(),
            result.onnxModel());
    publisher.publish(validate, outcome);
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
    publisher.status(
        event.jobId(), event.round(), STAGE, progress, message, epoch, loss, samplesPerSecond);
  }
}
