package io.qatfleet.validator.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.qatfleet.messaging.checkpoint.CheckpointTransportException;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.event.Decision;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The validator's Micrometer meters, registered at start-up so that they appear on {@code
 * /q/metrics} (with zero counts) before the first event: {@value #DURATION} (time to handle one
 * {@code qat.validate} event, tag {@code event=baseline|quantized}), {@value #DECISIONS} (tag
 * {@code outcome=pass|retrain|reject|error}), {@value #ACCURACY_DROP} (float minus quantized
 * accuracy in percentage points), {@value #AGREEMENT} (integer engine vs fake-quant graph), {@value
 * #DUPLICATES} (redelivered events skipped) and {@value #DLQ_RECORDS} (records parked on {@code
 * qat.dlq}, tag {@code error} with the dead letter's error type). Tags have few values; job ids are
 * never tags.
 */
@Startup
@ApplicationScoped
public class ValidatorMetrics {

  public static final String DURATION = "qat.validate.duration";
  public static final String DECISIONS = "qat.validate.decisions";
  public static final String ACCURACY_DROP = "qat.validate.accuracy.drop";
  public static final String AGREEMENT = "qat.validate.agreement";
  public static final String DUPLICATES = "qat.validate.duplicates";
  public static final String DLQ_RECORDS = "qat.dlq.records";

  /** The {@code outcome} of a record that could not be decided. */
  public static final String ERROR = "error";

  /** The {@code error} tag of a dead letter whose error type is not one of the known ones. */
  public static final String OTHER = "OTHER";

  /** The known error types: decoding, checkpoint transport, and the validator's own. */
  static final Set<String> DLQ_ERROR_TAGS = dlqErrorTags();

  private final MeterRegistry registry;
  private final DistributionSummary accuracyDrop;
  private final DistributionSummary agreement;
  private final Counter duplicates;

  public ValidatorMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (Decision d : Decision.values()) {
      decisionCounter(outcome(d));
    }
    decisionCounter(ERROR);
    timer("baseline");
    timer("quantized");
    this.accuracyDrop =
        DistributionSummary.builder(ACCURACY_DROP)
            .description(
                "Float minus quantized accuracy on the test split; a quantized model that beats"
                    + " the float one counts as a drop of 0 (summaries take no negative values)")
            .baseUnit("percentage points")
            .register(registry);
    this.agreement =
        DistributionSummary.builder(AGREEMENT)
            .description("Fraction of test samples where integer inference matches fake-quant")
            .register(registry);
    this.duplicates =
        Counter.builder(DUPLICATES)
            .description("Redelivered qat.validate events whose stage had finished, skipped")
            .register(registry);
    for (String errorType : DLQ_ERROR_TAGS) {
      dlqCounter(errorType);
    }
  }

  /** Lowercase wire name of a decision, the {@code outcome} tag value. */
  public static String outcome(Decision decision) {
    return decision.name().toLowerCase(Locale.ROOT);
  }

  public void decision(Decision decision) {
    decisionCounter(outcome(decision)).increment();
  }

  public void error() {
    decisionCounter(ERROR).increment();
  }

  public void duration(String event, Duration elapsed) {
    timer(event).record(elapsed);
  }

  /** {@code floatAccuracy - quantizedAccuracy}, both fractions, recorded in percentage points. */
  public void accuracyDrop(double floatAccuracy, double quantizedAccuracy) {
    // Micrometer drops negative samples silently: record a gain as no drop, so it still counts.
    accuracyDrop.record(Math.max(0, 100 * (floatAccuracy - quantizedAccuracy)));
  }

  public void agreement(double fraction) {
    agreement.record(fraction);
  }

  public void duplicate() {
    duplicates.increment();
  }

  /** Counts a dead letter; error types outside the known set are tagged {@value #OTHER}. */
  public void deadLetter(String errorType) {
    dlqCounter(DLQ_ERROR_TAGS.contains(errorType) ? errorType : OTHER).increment();
  }

  private Counter dlqCounter(String errorType) {
    return Counter.builder(DLQ_RECORDS)
        .description("Records parked on qat.dlq, by error type")
        .tag("error", errorType)
        .register(registry);
  }

  private Counter decisionCounter(String outcome) {
    return Counter.builder(DECISIONS)
        .description("Validation decisions by outcome")
        .tag("outcome", outcome)
        .register(registry);
  }

  private static Set<String> dlqErrorTags() {
    Set<String> tags = new TreeSet<>();
    for (EventDecodingException.Reason r : EventDecodingException.Reason.values()) {
      tags.add(r.name());
    }
    for (CheckpointTransportException.Reason r : CheckpointTransportException.Reason.values()) {
      tags.add(r.name());
    }
    tags.addAll(
        List.of(
            InvalidInputException.INVALID_SPEC,
            InvalidInputException.MISSING_BASELINE,
            InvalidInputException.UNEXPECTED_EVENT,
            InvalidInputException.WRONG_CHECKPOINT,
            InvalidInputException.CORRUPT_CHECKPOINT,
            OTHER));
    return Set.copyOf(tags);
  }

  private Timer timer(String event) {
    return Timer.builder(DURATION)
        .description("Time to handle one qat.validate event")
        .tag("event", event)
        .register(registry);
  }
}
