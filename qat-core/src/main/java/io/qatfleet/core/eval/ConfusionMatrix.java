package io.qatfleet.core.eval;

import java.util.Arrays;
import java.util.Objects;

/**
 * Counts of (true class, predicted class) pairs over an evaluation set: row {@code t}, column
 * {@code p} is how many samples of class {@code t} were predicted as {@code p}. Built from the
 * validator's labels and predictions; {@link ClassificationMetrics} derives its scores from it, and
 * the report plots it. Immutable.
 */
public final class ConfusionMatrix {

  private final int numClasses;
  private final int[] counts;
  private final int total;

  private ConfusionMatrix(int numClasses, int[] counts, int total) {
    this.numClasses = numClasses;
    this.counts = counts;
    this.total = total;
  }

  /**
   * Tallies {@code truth[i]} against {@code predicted[i]}.
   *
   * @throws IllegalArgumentException if the arrays differ in length or hold a class outside {@code
   *     0..numClasses-1}
   */
  public static ConfusionMatrix of(int[] truth, int[] predicted, int numClasses) {
    Objects.requireNonNull(truth, "truth must not be null");
    Objects.requireNonNull(predicted, "predicted must not be null");
    if (numClasses < 1) {
      throw new IllegalArgumentException("numClasses must be >= 1 but was " + numClasses);
    }
    if (truth.length != predicted.length) {
      throw new IllegalArgumentException(
          "truth has " + truth.length + " entries but predicted has " + predicted.length);
    }
    int[] counts = new int[Math.multiplyExact(numClasses, numClasses)];
    for (int i = 0; i < truth.length; i++) {
      checkClass("truth", i, truth[i], numClasses);
      checkClass("predicted", i, predicted[i], numClasses);
      counts[truth[i] * numClasses + predicted[i]]++;
    }
    return new ConfusionMatrix(numClasses, counts, truth.length);
  }

  public int numClasses() {
    return numClasses;
  }

  /** Samples of true class {@code t} predicted as {@code p}. */
  public int count(int t, int p) {
    Objects.checkIndex(t, numClasses);
    Objects.checkIndex(p, numClasses);
    return counts[t * numClasses + p];
  }

  /** Number of samples tallied. */
  public int total() {
    return total;
  }

  /** Samples whose prediction equals their true class (the diagonal). */
  public int correct() {
    int sum = 0;
    for (int c = 0; c < numClasses; c++) {
      sum += counts[c * numClasses + c];
    }
    return sum;
  }

  /** Samples whose true class is {@code t} (row sum): the class's support. */
  public int truthCount(int t) {
    Objects.checkIndex(t, numClasses);
    int sum = 0;
    for (int p = 0; p < numClasses; p++) {
      sum += counts[t * numClasses + p];
    }
    return sum;
  }

  /** Samples predicted as {@code p} (column sum). */
  public int predictedCount(int p) {
    Objects.checkIndex(p, numClasses);
    int sum = 0;
    for (int t = 0; t < numClasses; t++) {
      sum += counts[t * numClasses + p];
    }
    return sum;
  }

  /** The counts as {@code [truth][predicted]} (a copy). */
  public int[][] toArray() {
    int[][] out = new int[numClasses][];
    for (int t = 0; t < numClasses; t++) {
      out[t] = Arrays.copyOfRange(counts, t * numClasses, (t + 1) * numClasses);
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConfusionMatrix m
        && numClasses == m.numClasses
        && Arrays.equals(counts, m.counts);
  }

  @Override
  public int hashCode() {
    return 31 * numClasses + Arrays.hashCode(counts);
  }

  @Override
  public String toString() {
    return "ConfusionMatrix" + Arrays.deepToString(toArray());
  }

  private static void checkClass(String field, int i, int value, int numClasses) {
    if (value < 0 || value >= numClasses) {
      throw new IllegalArgumentException(
          field + "[" + i + "] = " + value + " is outside 0.." + (numClasses - 1));
    }
  }
}
