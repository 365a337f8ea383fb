package io.qatfleet.core.quant;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The range observers of {@link ObserverKind}: min-max, EMA min-max, percentile, MSE search and the
 * LSQ initialisation. Symmetric specs observe {@code |x|} and return {@code range/qmax}; asymmetric
 * specs map {@code [min, max]} onto {@code [qmin, qmax]} with a zero point.
 */
public final class RangeObservers {
  /** Floor for step sizes, so that an all-zero tensor still quantizes (to zero) without NaN. */
  public static final float MIN_SCALE = 1e-8f;

  public static final double EMA_DECAY = 0.9;

  /** Values kept for percentile and MSE search; a uniform reservoir sample beyond this. */
  public static final int SAMPLE_CAPACITY = 200_000;

  private static final int MSE_CANDIDATES = 100;

  private RangeObservers() {}

  /** A fresh observer of {@code kind} for tensors quantized with {@code spec}. */
  public static RangeObserver create(ObserverKind kind, QuantSpec spec, double percentile) {
    return switch (kind) {
      case MIN_MAX -> new MinMax(spec, false);
      case EMA_MIN_MAX -> new MinMax(spec, true);
      case PERCENTILE -> new Sampled(spec, percentile, false);
      case MSE -> new Sampled(spec, 100, true);
      case LSQ_INIT -> new LsqInit(spec);
    };
  }

  /**
   * One step size per output channel of a tensor laid out with channels last ({@code values[i]}
   * belongs to channel {@code i % channels}).
   */
  public static float[] channelScales(
      ObserverKind kind, QuantSpec spec, float[] values, int channels, double percentile) {
    if (values.length % channels != 0) {
      throw new IllegalArgumentException(
          "values: length " + values.length + " is not a multiple of " + channels + " channels");
    }
    int perChannel = values.length / channels;
    float[] scales = new float[channels];
    float[] channel = new float[perChannel];
    for (int c = 0; c < channels; c++) {
      for (int i = 0; i < perChannel; i++) {
        channel[i] = values[i * channels + c];
      }
      RangeObserver observer = create(kind, spec, percentile);
      observer.observe(channel);
      scales[c] = observer.scale();
    }
    return scales;
  }

  /** Step size that maps {@code [lo, hi]} onto the spec's grid. */
  static float scaleForRange(QuantSpec spec, double lo, double hi) {
    double s;
    if (spec.symmetric()) {
      double range = spec.signed() ? Math.max(Math.abs(lo), Math.abs(hi)) : Math.max(hi, 0);
      s = range / spec.qmax();
    } else {
      s = (Math.max(hi, 0) - Math.min(lo, 0)) / (spec.qmax() - spec.qmin());
    }
    return (float) Math.max(s, MIN_SCALE);
  }

  static int zeroPointForRange(QuantSpec spec, double lo, float scale) {
    if (spec.symmetric()) {
      return 0;
    }
    long z = Math.round(spec.qmin() - Math.min(lo, 0) / scale);
    return (int) Math.max(spec.qmin(), Math.min(spec.qmax(), z));
  }

  private static final class MinMax implements RangeObserver {
    private final QuantSpec spec;
    private final boolean ema;
    private double lo = Double.NaN;
    private double hi = Double.NaN;

    MinMax(QuantSpec spec, boolean ema) {
      this.spec = spec;
      this.ema = ema;
    }

    @Override
    public void observe(float[] values, int from, int to) {
      if (from >= to) {
        return;
      }
      double bmin = Double.POSITIVE_INFINITY;
      double bmax = Double.NEGATIVE_INFINITY;
      for (int i = from; i < to; i++) {
        bmin = Math.min(bmin, values[i]);
        bmax = Math.max(bmax, values[i]);
      }
      if (Double.isNaN(lo)) {
        lo = bmin;
        hi = bmax;
      } else if (ema) {
        lo = EMA_DECAY * lo + (1 - EMA_DECAY) * bmin;
        hi = EMA_DECAY * hi + (1 - EMA_DECAY) * bmax;
      } else {
        lo = Math.min(lo, bmin);
        hi = Math.max(hi, bmax);
      }
    }

    @Override
    public float scale() {
      return Double.isNaN(lo) ? MIN_SCALE : scaleForRange(spec, lo, hi);
    }

    @Override
    public int zeroPoint() {
      return Double.isNaN(lo) ? 0 : zeroPointForRange(spec, lo, scale());
    }
  }

  /** Keeps a uniform sample of the values, then picks a percentile or the min-MSE clip. */
  private static final class Sampled implements RangeObserver {
    private final QuantSpec spec;
    private final double percentile;
    private final boolean mse;
    private final float[] sample = new float[SAMPLE_CAPACITY];
    private final SplittableRandom random = new SplittableRandom(0x5EED);
    private long seen;

    Sampled(QuantSpec spec, double percentile, boolean mse) {
      this.spec = spec;
      this.percentile = percentile;
      this.mse = mse;
    }

    @Override
    public void observe(float[] values, int from, int to) {
      for (int i = from; i < to; i++) {
        if (seen < SAMPLE_CAPACITY) {
          sample[(int) seen] = values[i];
        } else {
          long j = random.nextLong(seen + 1);
          if (j < SAMPLE_CAPACITY) {
            sample[(int) j] = values[i];
          }
        }
        seen++;
      }
    }

    private float[] kept() {
      return Arrays.copyOf(sample, (int) Math.min(seen, SAMPLE_CAPACITY));
    }

    @Override
    public float scale() {
      float[] v = kept();
      if (v.length == 0) {
        return MIN_SCALE;
      }
      if (!spec.symmetric()) {
        Arrays.sort(v);
        double tail = (100 - percentile) / 100 / 2;
        return scaleForRange(spec, quantile(v, tail), quantile(v, 1 - tail));
      }
      float[] magnitudes = new float[v.length];
      for (int i = 0; i < v.length; i++) {
        magnitudes[i] = spec.signed() ? Math.abs(v[i]) : Math.max(v[i], 0);
      }
      Arrays.sort(magnitudes);
      double top = quantile(magnitudes, percentile / 100);
      if (!mse) {
        return scaleForRange(spec, -top, top);
      }
      float best = scaleForRange(spec, -top, top);
      double bestError = Double.POSITIVE_INFINITY;
      for (int k = 1; k <= MSE_CANDIDATES; k++) {
        float s = scaleForRange(spec, -top * k / MSE_CANDIDATES, top * k / MSE_CANDIDATES);
        double error = quantizationError(v, s);
        if (error < bestError) {
          bestError = error;
          best = s;
        }
      }
      return best;
    }

    private double quantizationError(float[] v, float s) {
      double sum = 0;
      for (float x : v) {
        double q = Math.max(spec.qmin(), Math.min(spec.qmax(), Math.rint(x / s))) * s;
        sum += (x - q) * (x - q);
      }
      return sum / v.length;
    }

    @Override
    public int zeroPoint() {
      if (spec.symmetric() || seen == 0) {
        return 0;
      }
      float[] v = kept();
      Arrays.sort(v);
      return zeroPointForRange(spec, quantile(v, (100 - percentile) / 100 / 2), scale());
    }

    private static double quantile(float[] sorted, double q) {
      int index = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
      return sorted[index];
    }
  }

  /** The LSQ paper's initial step size {@code 2·mean(|x|)/sqrt(Qp)}. */
  private static final class LsqInit implements RangeObserver {
    private final QuantSpec spec;
    private double sumAbs;
    private long count;

    LsqInit(QuantSpec spec) {
      this.spec = spec;
    }

    @Override
    public void observe(float[] values, int from, int to) {
      for (int i = from; i < to; i++) {
        sumAbs += Math.abs(values[i]);
      }
      count += to - from;
    }

    @Override
    public float scale() {
      if (count == 0) {
        return MIN_SCALE;
      }
      return (float) Math.max(2 * (sumAbs / count) / Math.sqrt(spec.qp()), MIN_SCALE);
    }

    @Override
    public int zeroPoint() {
      return 0;
    }
  }
}
