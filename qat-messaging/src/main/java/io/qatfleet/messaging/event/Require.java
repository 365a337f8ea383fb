package io.qatfleet.messaging.event;

import io.qatfleet.core.job.MetricThreshold;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/** Argument checks for the compact constructors; every message names the field and its value. */
final class Require {

  private Require() {}

  static <T> T nonNull(String field, T value) {
    if (value == null) {
      throw new IllegalArgumentException(field + " must not be null");
    }
    return value;
  }

  static String nonBlank(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(
          field + " must not be blank, was " + (value == null ? "null" : "'" + value + "'"));
    }
    return value;
  }

  static String jobId(String value) {
    nonBlank("jobId", value);
    if (value.length() > QatEvent.MAX_JOB_ID_LENGTH) {
      throw new IllegalArgumentException(
          "jobId must be at most "
              + QatEvent.MAX_JOB_ID_LENGTH
              + " characters, was "
              + value.length()
              + " starting '"
              + value.substring(0, 40)
              + "...'");
    }
    return value;
  }

  static String uuid(String field, String value) {
    nonBlank(field, value);
    try {
      UUID parsed = UUID.fromString(value);
      if (!parsed.toString().equalsIgnoreCase(value)) {
        throw new IllegalArgumentException("not canonical");
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(field + " must be a UUID, was '" + value + "'");
    }
    return value;
  }

  static int nonNegative(String field, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(field + " must be >= 0, was " + value);
    }
    return value;
  }

  static long nonNegative(String field, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(field + " must be >= 0, was " + value);
    }
    return value;
  }

  static int positive(String field, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(field + " must be > 0, was " + value);
    }
    return value;
  }

  static double positive(String field, double value) {
    if (!(value > 0) || !Double.isFinite(value)) {
      throw new IllegalArgumentException(field + " must be finite and > 0, was " + value);
    }
    return value;
  }

  static double finite(String field, double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException(field + " must be finite, was " + value);
    }
    return value;
  }

  static Double finiteOrNull(String field, Double value) {
    return value == null ? null : finite(field, value);
  }

  static double unitInterval(String field, double value) {
    if (!(value >= 0 && value <= 1)) {
      throw new IllegalArgumentException(field + " must be in [0, 1], was " + value);
    }
    return value;
  }

  /** An immutable copy, sorted by name so that the JSON is stable, of finite named numbers. */
  static Map<String, Double> metrics(String field, Map<String, Double> value) {
    nonNull(field, value);
    TreeMap<String, Double> copy = new TreeMap<>();
    value.forEach(
        (name, v) -> {
          nonBlank(field + " key", name);
          if (v == null || !Double.isFinite(v)) {
            throw new IllegalArgumentException(
                field + "['" + name + "'] must be a finite number, was " + v);
          }
          copy.put(name, v);
        });
    return Collections.unmodifiableMap(copy);
  }

  /** An immutable copy, sorted by metric, of a bar: named thresholds, none null. */
  static Map<String, MetricThreshold> thresholds(String field, Map<String, MetricThreshold> value) {
    nonNull(field, value);
    TreeMap<String, MetricThreshold> copy = new TreeMap<>();
    value.forEach(
        (name, t) -> {
          nonBlank(field + " key", name);
          copy.put(name, nonNull(field + "['" + name + "']", t));
        });
    return Collections.unmodifiableMap(copy);
  }

  static <T> List<T> list(String field, List<T> value) {
    nonNull(field, value);
    for (int i = 0; i < value.size(); i++) {
      nonNull(field + "[" + i + "]", value.get(i));
    }
    return List.copyOf(value);
  }

  /**
   * An immutable copy of a confusion matrix (rows = true class, columns = predicted class): at
   * least one class, square, every count non-negative.
   */
  static List<List<Integer>> confusion(String field, List<List<Integer>> value) {
    nonNull(field, value);
    int k = value.size();
    if (k == 0) {
      throw new IllegalArgumentException(field + " must have at least one class, was empty");
    }
    List<List<Integer>> copy = new java.util.ArrayList<>(k);
    for (int t = 0; t < k; t++) {
      List<Integer> row = nonNull(field + "[" + t + "]", value.get(t));
      if (row.size() != k) {
        throw new IllegalArgumentException(
            field
                + " must be square, but row "
                + t
                + " has "
                + row.size()
                + " of "
                + k
                + " columns");
      }
      for (int p = 0; p < k; p++) {
        Integer count = row.get(p);
        if (count == null || count < 0) {
          throw new IllegalArgumentException(
              field + "[" + t + "][" + p + "] must be a count >= 0, was " + count);
        }
      }
      copy.add(List.copyOf(row));
    }
    return List.copyOf(copy);
  }
}
