package io.qatfleet.bench;

import java.util.Arrays;
import java.util.Collection;

/** Median and range of repeated measurements, the way every benchmark table quotes them. */
record Stats(double median, double min, double max, int count) {

  static Stats of(Collection<Double> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("no values");
    }
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = v.length;
    double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return new Stats(median, v[0], v[n - 1], n);
  }

  static Stats of(double... values) {
    return of(Arrays.stream(values).boxed().toList());
  }
}
