package io.qatfleet.messaging.event;

import io.qatfleet.core.job.MetricThreshold;

/**
 * One metric's threshold check in a validation report: the bar from the job spec, the float model's
 * value, the quantized model's value, and whether the bar was met.
 */
public record ThresholdResult(
    String metric,
    MetricThreshold threshold,
    double floatValue,
    double quantizedValue,
    boolean passed) {

  public ThresholdResult {
    Require.nonBlank("metric", metric);
    Require.nonNull("threshold", threshold);
    Require.finite("floatValue", floatValue);
    Require.finite("quantizedValue", quantizedValue);
  }
}
