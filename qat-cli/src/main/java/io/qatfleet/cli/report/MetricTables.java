package io.qatfleet.cli.report;

import io.qatfleet.core.data.DatasetId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric tables of a job, built from the validator's metric maps (overall metrics such as
 * {@code accuracy}, per-class ones named {@code precision.<class>}, {@code recall.<class>}, {@code
 * f1.<class>}), once for {@code qat status}, {@code report.md} and {@code report.html}.
 */
public final class MetricTables {
  /** The overall metrics a table shows, in this order. */
  public static final List<String> OVERALL =
      List.of("accuracy", "macroPrecision", "macroRecall", "macroF1");

  /** The per-class metrics, by their prefix in a metric map. */
  public static final List<String> PER_CLASS = List.of("precision", "recall", "f1");

  private static final Pattern PER_CLASS_KEY = Pattern.compile("(precision|recall|f1)\\.(\\d+)");

  /** More classes than this in a metric map are not believed (the map is someone's input). */
  private static final int MAX_CLASSES = 10_000;

  private MetricTables() {}

  /**
   * One row for the float model, then one per round (in the map's order), one column per metric of
   * {@link #OVERALL} that any row has; {@code —} where a row lacks it.
   */
  public static Table overall(
      Map<String, Double> floatMetrics, Map<Integer, Map<String, Double>> rounds) {
    List<String> metrics =
        OVERALL.stream()
            .filter(
                m ->
                    floatMetrics.containsKey(m)
                        || rounds.values().stream().anyMatch(r -> r.containsKey(m)))
            .toList();
    List<String> header = new ArrayList<>();
    header.add("model");
    header.addAll(metrics);
    List<List<String>> rows = new ArrayList<>();
    if (!floatMetrics.isEmpty()) {
      rows.add(row("float", floatMetrics, metrics));
    }
    rounds.forEach((round, m) -> rows.add(row("round " + round, m, metrics)));
    return new Table(header, rows);
  }

  /**
   * Per class: precision, recall and F1 of the float model against the quantized one, with the
   * classes' names; empty when neither map has per-class metrics.
   */
  public static Table perClass(
      Map<String, Double> floatMetrics, Map<String, Double> quantized, List<String> classNames) {
    int classes = Math.max(classCount(floatMetrics), classCount(quantized));
    List<String> header = new ArrayList<>();
    header.add("class");
    for (String m : PER_CLASS) {
      String name = m.equals("f1") ? "F1" : m;
      header.add(name + " float");
      header.add(name + " quantized");
    }
    List<List<String>> rows = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      List<String> row = new ArrayList<>();
      row.add(className(classNames, c));
      for (String m : PER_CLASS) {
        row.add(number(floatMetrics.get(m + "." + c)));
        row.add(number(quantized.get(m + "." + c)));
      }
      rows.add(row);
    }
    return new Table(header, rows);
  }

  /**
   * The names of a dataset's classes ({@link DatasetId#classNames()}); for a dataset this build
   * does not know, none (the tables then name classes by label).
   */
  public static List<String> classNames(String dataset) {
    try {
      return DatasetId.parse(dataset).classNames();
    } catch (IllegalArgumentException e) {
      return List.of();
    }
  }

  /** {@code "3 Dress"}: the label, and its name where the dataset gives one. */
  static String className(List<String> names, int label) {
    return label < names.size() && !names.get(label).equals(Integer.toString(label))
        ? label + " " + names.get(label)
        : Integer.toString(label);
  }

  /** How many classes a metric map has per-class metrics for (highest label + 1). */
  static int classCount(Map<String, Double> metrics) {
    int count = 0;
    for (String key : metrics.keySet()) {
      Matcher m = PER_CLASS_KEY.matcher(key);
      if (m.matches() && m.group(2).length() <= 5) {
        count = Math.max(count, Integer.parseInt(m.group(2)) + 1);
      }
    }
    return Math.min(count, MAX_CLASSES);
  }

  /** Whether a metric is a per-class one ({@code f1.3}). */
  public static boolean isPerClass(String metric) {
    return PER_CLASS_KEY.matcher(metric).matches();
  }

  private static List<String> row(String name, Map<String, Double> m, List<String> metrics) {
    List<String> row = new ArrayList<>();
    row.add(name);
    metrics.forEach(metric -> row.add(number(m.get(metric))));
    return row;
  }

  public static String number(Double v) {
    return v == null ? "—" : String.format(Locale.ROOT, "%.4f", v);
  }
}
