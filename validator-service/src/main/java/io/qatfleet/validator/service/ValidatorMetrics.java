package io.qatfleet.validator.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.qatfleet.messaging.event.Decision;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Locale;

/**
 * The validator's Micrometer meters, registered at start-up so that they appear on {@code
 * /q/metrics} (with zero counts) before the first event: {@value #DURATION} (time to handle one
 * {@code qat.validate} event, tag {@code event=baseline|quantized}), {@value #DECISIONS} (tag
 * {@code outcome=pass|retrain|reject|error}), {@value #ACCURACY_DROP} (float minus quantized
 * accuracy in percentage points), {@value #AGREEMENT} (integer engine vs fake-quant graph), {@value
 * #DUPLICATES} (redelivered events skipped); dead letters are counted by the fleet's {@code
 * DeadLetters}. Tags have few values; job ids are never tags.
 */
@Startup
@ApplicationScoped
public class ValidatorMetrics {

  public static final String DURATION = "qat.validate.duration";
  public static final String DECISIONS = "qat.validate.decisions";
  public static final String ACCURACY_DROP = "qat.validate.accuracy.drop";
  public static final String AGREEMENT = "qat.validate.agreement";
  public static final String DUPLICATES = "qat.validate.duplicates";

  /** The {@code outcome} of a record that could not be decided. */
  public static final String ERROR = "error";

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

  private Counter decisionCounter(String outcome) {
    return Counter.builder(DECISIONS)
        .description("Validation decisions by outcome")
        .tag("outcome", outcome)
        .register(registry);
  }

  private Timer timer(String event) {
    return Timer.builder(DURATION)
        .description("Time to handle one qat.validate event")
        .tag("event", event)
        .register(registry);
  }
}
