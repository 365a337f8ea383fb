package io.qatfleet.core.eval;

import java.util.Arrays;
import java.util.Objects;

/**
 * The validator's scores for one model on one labelled set: accuracy, per-class precision, recall
 * and F1 with their unweighted (macro) means, the confusion matrix and each class's support. A
 * score whose denominator is zero (a class never predicted, or never present) is 0, as with
 * scikit-learn's {@code zero_division=0}; macro means run over all {@code numClasses} classes, so a
 * class absent from both labels and predictions counts as 0 (scikit-learn with {@code
 * labels=range(numClasses)}).
 *
 * @param support number of samples of each true class
 */
public record ClassificationMetrics(
    double accuracy,
    double[] precision,
    double[] recall,
    double[] f1,
    double macroPrecision,
    double macroRecall,
    double macroF1,
    ConfusionMatrix confusion,
    int[] support) {

  public ClassificationMetrics {
    Objects.requireNonNull(confusion, "confusion must not be null");
    int k = confusion.numClasses();
    checkFraction("accuracy", accuracy);
    precision = perClass("precision", precision, k);
    recall = perClass("recall", recall, k);
    f1 = perClass("f1", f1, k);
    checkFraction("macroPrecision", macroPrecision);
    checkFraction("macroRecall", macroRecall);
    checkFraction("macroF1", macroF1);
    Objects.requireNonNull(support, "support must not be null");
    if (support.length != k) {
      throw new IllegalArgumentException(
          "support has " + support.length + " entries but there are " + k + " classes");
    }
    support = support.clone();
  }

  /**
   * Scores {@code predicted} against {@code truth}.
   *
   * @throws IllegalArgumentException if the arrays are empty, differ in length or hold a class
   *     outside {@code 0..numClasses-1}
   */
  public static ClassificationMetrics of(int[] truth, int[] predicted, int numClasses) {
    return of(ConfusionMatrix.of(truth, predicted, numClasses));
  }

  /**
   * Scores the predictions tallied in {@code confusion}.
   *
   * @throws IllegalArgumentException if it holds no samples
   */
  public static ClassificationMetrics of(ConfusionMatrix confusion) {
    if (confusion.total() == 0) {
      throw new IllegalArgumentException("cannot score an empty evaluation set");
    }
    int k = confusion.numClasses();
    double[] precision = new double[k];
    double[] recall = new double[k];
    double[] f1 = new double[k];
    int[] support = new int[k];
    for (int c = 0; c < k; c++) {
      int tp = confusion.count(c, c);
      int predicted = confusion.predictedCount(c);
      support[c] = confusion.truthCount(c);
      precision[c] = ratio(tp, predicted);
      recall[c] = ratio(tp, support[c]);
      int fp = predicted - tp;
      int fn = support[c] - tp;
      f1[c] = ratio(2.0 * tp, 2.0 * tp + fp + fn);
    }
    return new ClassificationMetrics(
        ratio(confusion.correct(), confusion.total()),
        precision,
        recall,
        f1,
        mean(precision),
        mean(recall),
        mean(f1),
        confusion,
        support);
  }

  /**
   * Fraction of positions where {@code a} and {@code b} predict the same class; the validator uses
   * it to check integer inference against the fake-quant graph.
   *
   * @throws IllegalArgumentException if the arrays are empty or differ in length
   */
  public static double agreement(int[] a, int[] b) {
    Objects.requireNonNull(a, "a must not be null");
    Objects.requireNonNull(b, "b must not be null");
    if (a.length != b.length) {
      throw new IllegalArgumentException(
          "a has " + a.length + " predictions but b has " + b.length);
    }
    if (a.length == 0) {
      throw new IllegalArgumentException("cannot measure agreement of empty predictions");
    }
    int same = 0;
    for (int i = 0; i < a.length; i++) {
      if (a[i] == b[i]) {
        same++;
      }
    }
    return (double) same / a.length;
  }

  /** Number of classes. */
  public int numClasses() {
    return support.length;
  }

  @Override
  public double[] precision() {
    return precision.clone();
  }

  @Override
  public double[] recall() {
    return recall.clone();
  }

  @Override
  public double[] f1() {
    return f1.clone();
  }

  @Override
  public int[] support() {
    return support.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClassificationMetrics m
        && Double.compare(accuracy, m.accuracy) == 0
        && Arrays.equals(precision, m.precision)
        && Arrays.equals(recall, m.recall)
        && Arrays.equals(f1, m.f1)
        && Double.compare(macroPrecision, m.macroPrecision) == 0
        && Double.compare(macroRecall, m.macroRecall) == 0
        && Double.compare(macroF1, m.macroF1) == 0
        && confusion.equals(m.confusion)
        && Arrays.equals(support, m.support);
  }

  @Override
  public int hashCode() {
    return Objects.hash(accuracy, macroPrecision, macroRecall, macroF1, confusion);
  }

  @Override
  public String toString() {
    return "ClassificationMetrics[accuracy="
        + accuracy
        + ", macroPrecision="
        + macroPrecision
        + ", macroRecall="
        + macroRecall
        + ", macroF1="
        + macroF1
        + ", precision="
        + Arrays.toString(precision)
        + ", recall="
        + Arrays.toString(recall)
        + ", f1="
        + Arrays.toString(f1)
        + ", support="
        + Arrays.toString(support)
        + ", confusion="
        + confusion
        + "]";
  }

  private static double ratio(double numerator, double denominator) {
    return denominator == 0 ? 0 : numerator / denominator;
  }

  private static double mean(double[] values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return sum / values.length;
  }

  private static void checkFraction(String field, double value) {
    if (!(value >= 0 && value <= 1)) {
      throw new IllegalArgumentException(field + " must be in [0, 1] but was " + value);
    }
  }

  private static double[] perClass(String field, double[] values, int numClasses) {
    Objects.requireNonNull(values, field + " must not be null");
    if (values.length != numClasses) {
      throw new IllegalArgumentException(
          field + " has " + values.length + " entries but there are " + numClasses + " classes");
    }
    for (int c = 0; c < values.length; c++) {
      checkFraction(field + "[" + c + "]", values[c]);
    }
    return values.clone();
  }
}
