package io.qatfleet.core.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RangeObserversTest {
  private static final QuantSpec W8 = QuantSpec.weights(8, Granularity.PER_TENSOR);
  private static final QuantSpec A8 = QuantSpec.unsignedActivations(8);

  @Test
  void minMaxUsesLargestMagnitude() {
    RangeObserver o = RangeObservers.create(ObserverKind.MIN_MAX, W8, 100);
    o.observe(new float[] {0.5f, -2.54f, 1f});
    o.observe(new float[] {1.27f});
    assertThat(o.scale()).isCloseTo(2.54f / 127, within(1e-7f));
  }

  @Test
  void emaMinMaxMovesTowardNewBatches() {
    RangeObserver o = RangeObservers.create(ObserverKind.EMA_MIN_MAX, A8, 100);
    o.observe(new float[] {0f, 10f});
    o.observe(new float[] {0f, 20f});
    // max = 0.9·10 + 0.1·20 = 11 → s = 11/255
    assertThat(o.scale()).isCloseTo(11f / 255, within(1e-6f));
  }

  @Test
  void percentileIgnoresOutliers() {
    float[] v = new float[1000];
    for (int i = 0; i < v.length; i++) {
      v[i] = i / 1000f; // 0 .. 0.999
    }
    v[999] = 1000f; // one outlier
    RangeObserver o = RangeObservers.create(ObserverKind.PERCENTILE, A8, 99.0);
    o.observe(v);
    // 99th percentile of 1000 sorted values is the 990th: 0.989
    assertThat(o.scale()).isCloseTo(0.989f / 255, within(1e-6f));
  }

  @Test
  void mseSearchClipsOutlierAndLowersError() {
    float[] v = new float[10_000];
    for (int i = 0; i < v.length; i++) {
      v[i] = (i % 100) / 100f;
    }
    v[0] = 5f; // one outlier: min-max would spend the 4-bit grid on [0, 5]
    QuantSpec a4 = QuantSpec.unsignedActivations(4);
    RangeObserver mse = RangeObservers.create(ObserverKind.MSE, a4, 100);
    mse.observe(v);
    RangeObserver minMax = RangeObservers.create(ObserverKind.MIN_MAX, a4, 100);
    minMax.observe(v);
    assertThat(minMax.scale()).isCloseTo(5f / 15, within(1e-6f));
    assertThat(mse.scale()).isLessThan(minMax.scale() / 2);
    assertThat(meanSquaredError(v, mse.scale(), a4))
        .isLessThan(meanSquaredError(v, minMax.scale(), a4));
  }

  private static double meanSquaredError(float[] v, float s, QuantSpec spec) {
    double sum = 0;
    for (float x : v) {
      double q = s * Math.max(spec.qmin(), Math.min(spec.qmax(), Math.rint(x / s)));
      sum += (x - q) * (x - q);
    }
    return sum / v.length;
  }

  @Test
  void lsqInitIsTwiceMeanMagnitudeOverRootQp() {
    RangeObserver o =
        RangeObservers.create(
            ObserverKind.LSQ_INIT, QuantSpec.weights(4, Granularity.PER_TENSOR), 100);
    o.observe(new float[] {1f, -3f});
    // mean |x| = 2, Qp = 7 → 4/sqrt(7)
    assertThat(o.scale()).isCloseTo((float) (4 / Math.sqrt(7)), within(1e-6f));
  }

  @Test
  void asymmetricRangeGetsZeroPoint() {
    QuantSpec asym = new QuantSpec(8, false, false, false, Granularity.PER_TENSOR); // [0, 255]
    RangeObserver o = RangeObservers.create(ObserverKind.MIN_MAX, asym, 100);
    o.observe(new float[] {-1f, 2.4f, 1f});
    // s = (2.4 + 1)/255, z = round(0 - (-1)/s) = round(75) = 75
    assertThat(o.scale()).isCloseTo(3.4f / 255, within(1e-6f));
    assertThat(o.zeroPoint()).isEqualTo(75);
  }

  @Test
  void channelScalesObserveEachChannelSeparately() {
    // [3 rows, 2 channels], channel 0 max |x| 1.27, channel 1 max 2.54
    float[] w = {1.27f, -2.54f, 0.1f, 0.2f, -0.5f, 1f};
    float[] scales = RangeObservers.channelScales(ObserverKind.MIN_MAX, W8, w, 2, 100);
    assertThat(scales[0]).isCloseTo(0.01f, within(1e-7f));
    assertThat(scales[1]).isCloseTo(0.02f, within(1e-7f));
  }
}
