package io.qatfleet.core.job;

import java.util.ArrayList;
import java.util.List;

/**
 * An acceptance bar for one metric of the quantized model, in the style of TFX's Evaluator: an
 * absolute minimum, a maximum absolute drop and a maximum relative drop against the float model. A
 * null bound is not checked.
 */
public record MetricThreshold(Double min, Double maxAbsDrop, Double maxRelDrop) {

  /** Every problem with this threshold, fields prefixed with {@code field}. */
  public List<String> violations(String field) {
    List<String> out = new ArrayList<>();
    if (min == null && maxAbsDrop == null && maxRelDrop == null) {
      out.add(field + ": needs at least one of min, maxAbsDrop, maxRelDrop");
    }
    if (min != null && !(min >= 0 && min <= 1)) {
      out.add(field + ".min: must be in [0, 1], got " + min);
    }
    if (maxAbsDrop != null && !(maxAbsDrop >= 0 && maxAbsDrop <= 1)) {
      out.add(field + ".maxAbsDrop: must be in [0, 1], got " + maxAbsDrop);
    }
    if (maxRelDrop != null && !(maxRelDrop >= 0 && maxRelDrop <= 1)) {
      out.add(field + ".maxRelDrop: must be in [0, 1], got " + maxRelDrop);
    }
    return out;
  }

  /** Whether {@code quantized} meets this bar given the float model's {@code reference}. */
  public boolean passes(double quantized, double reference) {
    if (min != null && quantized < min) {
      return false;
    }
    double drop = reference - quantized;
    if (maxAbsDrop != null && drop > maxAbsDrop) {
      return false;
    }
    return maxRelDrop == null || reference <= 0 || drop / reference <= maxRelDrop;
  }
}
