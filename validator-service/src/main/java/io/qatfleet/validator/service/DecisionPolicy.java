package io.qatfleet.validator.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.core.json.Json;
import io.qatfleet.messaging.event.Decision;
import io.qatfleet.messaging.event.ThresholdResult;
import io.qatfleet.messaging.event.ThresholdSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The validator's judgement, without I/O: picks the bar a job is judged by (its spec's thresholds,
 * or the configured default bar when the spec names none), checks each threshold against the float
 * baseline's and the quantized model's metrics, turns the results into a {@link Decision} (pass;
 * retrain while rounds are left; reject), says in words which thresholds failed, and picks the best
 * round of a failed job. What a retrain round changes is {@link RemedyPolicy}'s. No bar, no
 * approval: an empty list of checks is never a pass.
 */
public final class DecisionPolicy {

  /**
   * The default bar unless {@code qat.default-thresholds} says otherwise: at most one point of
   * accuracy lost against the float model, the bar a spec without a {@code thresholds} section gets
   * from {@code JobSpec}.
   */
  public static final String DEFAULT_THRESHOLDS = "{\"accuracy\": {\"maxAbsDrop\": 0.01}}";

  /** The thresholds a job is judged by, and where they came from. */
  public record Bar(Map<String, MetricThreshold> thresholds, ThresholdSource source) {}

  private final Map<String, MetricThreshold> defaultBar;

  /** A policy with the default bar {@value #DEFAULT_THRESHOLDS}. */
  public DecisionPolicy() {
    this(parseBar(DEFAULT_THRESHOLDS));
  }

  /**
   * @param defaultBar the bar of a job whose spec names no threshold: at least one valid threshold
   */
  public DecisionPolicy(Map<String, MetricThreshold> defaultBar) {
    this.defaultBar = requireBar(defaultBar, "the default bar");
  }

  /**
   * A bar written as the {@code thresholds} section of a job spec, e.g. {@value
   * #DEFAULT_THRESHOLDS}.
   *
   * @throws IllegalArgumentException if it is not such JSON, names no threshold or an invalid one
   */
  public static Map<String, MetricThreshold> parseBar(String json) {
    Map<String, MetricThreshold> bar;
    try {
      bar = Json.MAPPER.readValue(json, new TypeReference<Map<String, MetricThreshold>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "qat.default-thresholds is not a thresholds section: " + e.getOriginalMessage(), e);
    }
    return requireBar(bar, "qat.default-thresholds");
  }

  /** The spec's thresholds, or the default bar when the spec names none. */
  public Bar barFor(JobSpec spec) {
    return spec.thresholds().isEmpty()
        ? new Bar(defaultBar, ThresholdSource.DEFAULT)
        : new Bar(new TreeMap<>(spec.thresholds()), ThresholdSource.SPEC);
  }

  public Map<String, MetricThreshold> defaultBar() {
    return defaultBar;
  }

  private static Map<String, MetricThreshold> requireBar(
      Map<String, MetricThreshold> bar, String what) {
    if (bar == null || bar.isEmpty()) {
      throw new IllegalArgumentException(what + " must name at least one threshold");
    }
    if (bar.values().stream().anyMatch(java.util.Objects::isNull)) {
      throw new IllegalArgumentException(what + " has a metric without a threshold: " + bar);
    }
    // The spec's own validation of its thresholds section, so that a bar reads as a spec's does.
    List<String> problems =
        new JobSpec("bar", null, null, null, null, bar, null)
            .violations().stream().filter(v -> v.startsWith("thresholds.")).toList();
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(what + " is invalid: " + String.join("; ", problems));
    }
    return Map.copyOf(new TreeMap<>(bar));
  }

  /**
   * One result per threshold of the spec, in metric-name order.
   *
   * @throws IllegalArgumentException if a metric of a threshold is missing from either map
   */
  public static List<ThresholdResult> check(
      Map<String, MetricThreshold> thresholds,
      Map<String, Double> floatMetrics,
      Map<String, Double> quantizedMetrics) {
    List<ThresholdResult> out = new ArrayList<>();
    for (Map.Entry<String, MetricThreshold> e : new TreeMap<>(thresholds).entrySet()) {
      String metric = e.getKey();
      double reference = value(floatMetrics, metric, "float baseline");
      double quantized = value(quantizedMetrics, metric, "quantized model");
      out.add(
          new ThresholdResult(
              metric,
              e.getValue(),
              reference,
              quantized,
              e.getValue().passes(quantized, reference)));
    }
    return out;
  }

  /**
   * Pass when every threshold passed; otherwise retrain while {@code round < maxRounds}.
   *
   * @throws IllegalArgumentException if no threshold was checked: no bar, no approval
   */
  public static Decision decide(List<ThresholdResult> results, int round, int maxRounds) {
    if (results.isEmpty()) {
      throw new IllegalArgumentException(
          "no threshold was checked: a model is never approved without a bar");
    }
    if (results.stream().allMatch(ThresholdResult::passed)) {
      return Decision.PASS;
    }
    return round < maxRounds ? Decision.RETRAIN : Decision.REJECT;
  }

  /**
   * The failed thresholds with their numbers, e.g. {@code "accuracy 0.8100 vs float 0.8400: drop
   * 0.0300 > maxAbsDrop 0.0100"}; "all thresholds passed" when none failed.
   */
  public static String reason(List<ThresholdResult> results) {
    List<String> failures = new ArrayList<>();
    for (ThresholdResult r : results) {
      if (!r.passed()) {
        failures.add(describeFailure(r));
      }
    }
    return failures.isEmpty() ? "all thresholds passed" : String.join("; ", failures);
  }

  private static String describeFailure(ThresholdResult r) {
    MetricThreshold t = r.threshold();
    double q = r.quantizedValue();
    double f = r.floatValue();
    double drop = f - q;
    List<String> bounds = new ArrayList<>();
    if (t.min() != null && q < t.min()) {
      bounds.add(fmt("%.4f < min %.4f", q, t.min()));
    }
    if (t.maxAbsDrop() != null && drop > t.maxAbsDrop()) {
      bounds.add(fmt("drop %.4f > maxAbsDrop %.4f", drop, t.maxAbsDrop()));
    }
    if (t.maxRelDrop() != null && f > 0 && drop / f > t.maxRelDrop()) {
      bounds.add(fmt("relative drop %.4f > maxRelDrop %.4f", drop / f, t.maxRelDrop()));
    }
    return fmt("%s %.4f vs float %.4f: ", r.metric(), q, f) + String.join(", ", bounds);
  }

  /** The round with the highest quantized accuracy; the earliest such round on a tie. */
  public static Optional<RoundResult> best(Collection<RoundResult> rounds) {
    return rounds.stream()
        .min(
            Comparator.comparingDouble((RoundResult r) -> -r.accuracy())
                .thenComparingInt(RoundResult::round));
  }

  private static double value(Map<String, Double> metrics, String metric, String model) {
    Double v = metrics.get(metric);
    if (v == null) {
      throw new IllegalArgumentException(
          "metric '" + metric + "' of a threshold is not among the " + model + "'s metrics");
    }
    return v;
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
