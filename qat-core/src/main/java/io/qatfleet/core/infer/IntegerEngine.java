package io.qatfleet.core.infer;

import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.model.LayerGraph;
import io.qatfleet.core.model.LayerGraph.Node;
import io.qatfleet.core.model.LayerGraph.TensorShape;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.LayerSpec;
import io.qatfleet.core.model.ModelGraph;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Runs a {@link QuantizedModel} with integer arithmetic only, as an int8 accelerator would, walking
 * the model's {@link LayerGraph} node by node.
 *
 * <p>Every value between weight layers is an int32 tensor with a step size per channel (elements
 * laid out channels last; a flattened map keeps each element's channel): the image's pixel bytes
 * (step 1/255), or a weight layer's accumulators {@code Σ q_x·q_w + bias_q} (step {@code
 * s_in·s_w[c]}). Batch norm is folded into the weights and passes values through; ReLU clamps at 0,
 * ReLU6 at {@code round(6/s[c])}; max pooling is exact; flatten only reshapes. At each weight
 * layer's input the value is requantized (fixed point, {@code s[c]/s_in}, ties up) and clamped to
 * the layer's unsigned grid {@code [0, qmax]}; a layer that reads the image takes the pixel bytes
 * as they are. The last layer's accumulators are scaled to float logits only to pick the class.
 *
 * <p>Where the fake-quant graph works on unquantized floats, the engine keeps the value exact or on
 * a grid much finer than the accumulator's, so that it requantizes to the same levels: average and
 * global average pooling output the window's int32 sum on the grid {@code s[c]/count} (the mean,
 * unrounded; only when the sum's bound would overflow int32 is it divided, rounding half away from
 * zero, by the least divisor that fits); an add rescales both inputs with {@link
 * FixedPointMultiplier}s to the finer of their two steps per channel divided by {@code 2^f}, with
 * {@code f ≤} {@value #MAX_ADD_BITS} as large as the inputs' worst-case bounds leave int32 room
 * for, then adds in int32, saturating. (Rounding the pooled mean or the rescaled addend to the
 * input's own accumulator grid instead costs whole activation levels at 4 bits, where {@code s_w}
 * and so the accumulator step are coarse: lenet5 W4A4 agreed with the fake-quant graph on only 92.9
 * % of test images that way.) Worst-case bounds of every value are computed from the weights when
 * the engine is built.
 *
 * <p>Every per-channel multiplier, clamp and bound is computed once, when the engine is built;
 * samples then run in parallel on the common fork-join pool.
 */
public final class IntegerEngine {
  /** Most fractional bits an add's output grid gains over the finer input's. */
  static final int MAX_ADD_BITS = 12;

  /** What an add's bound may reach on its output grid (int32 with one bit to spare). */
  private static final double ADD_ROOM = 0x1p30;

  private static final long PIXEL_MAX = 255;

  private final QuantizedModel model;
  private final List<Node> nodes;
  private final Step[] steps;
  private final int[] lastReader;
  private final double[][] scales;
  private final double[] logitScales;
  private final int imageElements;

  /** One node's computation on int32 values: {@code input}, and {@code other} for an add. */
  private interface Step {
    int[] apply(int[] input, int[] other);
  }

  public IntegerEngine(QuantizedModel model) {
    this.model = model;
    LayerGraph graph = model.spec().graph();
    this.nodes = graph.nodes();
    this.imageElements = graph.imageShape().elements();
    double[] imageScales = new double[model.spec().inputChannels()];
    Arrays.fill(imageScales, ModelGraph.PIXEL_STEP);
    scales = new double[nodes.size()][];
    long[] bounds = new long[nodes.size()];
    steps = new Step[nodes.size()];
    lastReader = new int[nodes.size()];
    for (Node n : nodes) {
      int at = n.position();
      double[] in = n.input() < 0 ? imageScales : scales[n.input()];
      long bound = n.input() < 0 ? PIXEL_MAX : bounds[n.input()];
      if (n.input() >= 0) {
        lastReader[n.input()] = at;
      }
      if (n.kind() == LayerSpec.Kind.ADD && n.other() >= 0) {
        lastReader[n.other()] = at;
      }
      scales[at] = in;
      bounds[at] = bound;
      switch (n.kind()) {
        case CONV2D, DENSE -> {
          QuantizedLayer layer = model.layers().get(n.layer().index());
          steps[at] = weightLayer(layer, in);
          double[] out = new double[layer.shape().outChannels()];
          for (int c = 0; c < out.length; c++) {
            out[c] = layer.accumulatorScale(c);
          }
          scales[at] = out;
          bounds[at] = accumulatorBound(layer);
        }
        case BATCH_NORM, FLATTEN -> steps[at] = (x, y) -> x;
        case RELU -> steps[at] = (x, y) -> relu(x);
        case RELU6 -> {
          int[] six = new int[in.length];
          for (int c = 0; c < in.length; c++) {
            six[c] = (int) Math.min(Integer.MAX_VALUE, Math.round(6.0 / in[c]));
          }
          bounds[at] = Math.min(bound, Arrays.stream(six).max().orElse(0));
          steps[at] = (x, y) -> relu6(x, six);
        }
        case MAX_POOL -> {
          TensorShape shape = n.inShape();
          steps[at] = (x, y) -> pool(x, shape, n.size(), n.stride(), 1);
        }
        case AVG_POOL, GLOBAL_AVG_POOL -> {
          // The window's sum, on the grid s/count: the mean without rounding, unless the sum
          // might not fit int32; then the sum divided (rounded) by as little as makes it fit.
          TensorShape shape = n.inShape();
          boolean global = n.kind() == LayerSpec.Kind.GLOBAL_AVG_POOL;
          int count = global ? shape.height() * shape.width() : n.size() * n.size();
          long total = Math.multiplyHigh(bound, count) != 0 ? Long.MAX_VALUE : bound * count;
          int divisor = (int) Math.max(1, Math.min(count, ceilDiv(total, Integer.MAX_VALUE)));
          steps[at] =
              global
                  ? (x, y) -> globalSum(x, shape, divisor)
                  : (x, y) -> pool(x, shape, n.size(), n.stride(), -divisor);
          double[] out = new double[in.length];
          for (int c = 0; c < out.length; c++) {
            out[c] = in[c] * divisor / count;
          }
          scales[at] = out;
          bounds[at] = Math.min(Integer.MAX_VALUE, ceilDiv(total, divisor));
        }
        case ADD ->
            add(
                n,
                in,
                bound,
                n.other() < 0 ? imageScales : scales[n.other()],
                n.other() < 0 ? PIXEL_MAX : bounds[n.other()],
                scales,
                bounds);
        default -> throw new IllegalStateException("unhandled layer kind " + n.kind());
      }
    }
    logitScales = scales[nodes.size() - 1];
  }

  /**
   * An add: both inputs rescaled to a common grid per channel, the finer of their two steps made
   * finer still by {@code 2^f} (f ≤ {@value #MAX_ADD_BITS}) as far as int32 has room for the sum's
   * bound, so that the rescaling rounds on a grid much finer than either input's.
   */
  private void add(
      Node n, double[] a, long boundA, double[] b, long boundB, double[][] scales, long[] bounds) {
    int elements = n.outShape().elements();
    double[] sa = a.length == b.length ? a : expand(a, elements);
    double[] sb = a.length == b.length ? b : expand(b, elements);
    double worst = 0;
    for (int c = 0; c < sa.length; c++) {
      double fine = Math.min(sa[c], sb[c]);
      worst = Math.max(worst, boundA * (sa[c] / fine) + boundB * (sb[c] / fine));
    }
    int bits = 0;
    while (bits < MAX_ADD_BITS && worst * Math.scalb(1.0, bits + 1) <= ADD_ROOM) {
      bits++;
    }
    double[] out = new double[sa.length];
    FixedPointMultiplier[] ma = new FixedPointMultiplier[sa.length];
    FixedPointMultiplier[] mb = new FixedPointMultiplier[sa.length];
    for (int c = 0; c < out.length; c++) {
      out[c] = Math.scalb(Math.min(sa[c], sb[c]), -bits);
      ma[c] = sa[c] == out[c] ? null : multiplier(sa[c] / out[c], n.name());
      mb[c] = sb[c] == out[c] ? null : multiplier(sb[c] / out[c], n.name());
    }
    steps[n.position()] = (x, y) -> add(x, y, ma, mb);
    scales[n.position()] = out;
    bounds[n.position()] = (long) Math.min(Integer.MAX_VALUE, Math.ceil(worst * (1 << bits)) + 2);
  }

  /** Largest |accumulator| of a layer: {@code max_c Σ|w|·(largest input level) + |bias_c|}. */
  private static long accumulatorBound(QuantizedLayer layer) {
    LayerShape s = layer.shape();
    long input = s.readsImage() ? PIXEL_MAX : layer.inputSpec().qmax();
    int channels = s.outChannels();
    long[] sums = new long[channels];
    byte[] w = layer.weights().levels();
    for (int i = 0; i < w.length; i++) {
      sums[i % channels] += Math.abs(w[i]);
    }
    long bound = 0;
    for (int c = 0; c < channels; c++) {
      bound = Math.max(bound, sums[c] * input + Math.abs((long) layer.bias()[c]));
    }
    return Math.min(Integer.MAX_VALUE, bound);
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  /** Predicted class of every sample. */
  public int[] predict(Dataset data) {
    checkInput(data);
    byte[] raw = data.pixels();
    int[] out = new int[data.size()];
    IntStream.range(0, data.size())
        .parallel()
        .forEach(i -> out[i] = argmax(logits(raw, i * imageElements)));
    return out;
  }

  /** Float logits of sample {@code index} (integer accumulators times their step size). */
  public float[] logits(Dataset data, int index) {
    checkInput(data);
    return logits(data.subset(new int[] {index}).pixels(), 0);
  }

  private void checkInput(Dataset data) {
    if (data.pixelsPerImage() != imageElements || data.channels() != model.spec().inputChannels()) {
      throw new IllegalArgumentException(
          "data: images of "
              + data.rows()
              + "x"
              + data.cols()
              + "x"
              + data.channels()
              + " do not fit the model's input "
              + model.spec().inputHeight()
              + "x"
              + model.spec().inputWidth()
              + "x"
              + model.spec().inputChannels());
    }
  }

  /**
   * Every node's int32 value for sample {@code index}, by node position (for tests: the integers a
   * hand-worked case expects).
   */
  int[][] trace(Dataset data, int index) {
    checkInput(data);
    int[][] values = new int[nodes.size()][];
    run(data.subset(new int[] {index}).pixels(), 0, values, false);
    return values;
  }

  /** The step size of each channel of node {@code position}'s value. */
  double[] scales(int position) {
    return scales[position].clone();
  }

  private float[] logits(byte[] raw, int offset) {
    int[][] values = new int[nodes.size()][];
    run(raw, offset, values, true);
    int[] acc = values[nodes.size() - 1];
    float[] logits = new float[acc.length];
    for (int c = 0; c < acc.length; c++) {
      logits[c] = (float) (acc[c] * logitScales[c]);
    }
    return logits;
  }

  private void run(byte[] raw, int offset, int[][] values, boolean free) {
    int[] image = new int[imageElements];
    for (int p = 0; p < imageElements; p++) {
      image[p] = raw[offset + p] & 0xff;
    }
    for (Node n : nodes) {
      int[] x = n.input() < 0 ? image : values[n.input()];
      int[] y = n.other() < 0 ? image : values[n.other()];
      values[n.position()] = steps[n.position()].apply(x, y);
      if (!free) {
        continue;
      }
      // Free what no later node reads (the output is never read).
      if (n.input() >= 0 && lastReader[n.input()] == n.position()) {
        values[n.input()] = null;
      }
      if (n.kind() == LayerSpec.Kind.ADD
          && n.other() >= 0
          && lastReader[n.other()] == n.position()) {
        values[n.other()] = null;
      }
    }
  }

  // ---------------------------------------------------------------- weight layers

  private static FixedPointMultiplier multiplier(double m, String where) {
    try {
      return FixedPointMultiplier.of(m);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          where + ": step-size ratio " + m + " has no fixed-point multiplier", e);
    }
  }

  /**
   * Requantizes the input to the layer's grid (unless it reads the image), then convolves or
   * multiplies: the int32 accumulators, bias included.
   */
  private static Step weightLayer(QuantizedLayer layer, double[] inScales) {
    LayerShape s = layer.shape();
    byte[] levels = layer.weights().levels();
    int[] w = new int[levels.length];
    for (int k = 0; k < levels.length; k++) {
      w[k] = levels[k];
    }
    int[] bias = layer.bias();
    FixedPointMultiplier[] requantize;
    if (s.readsImage()) {
      requantize = null;
    } else {
      requantize = new FixedPointMultiplier[inScales.length];
      for (int c = 0; c < inScales.length; c++) {
        requantize[c] = multiplier(inScales[c] / layer.inputScale(), s.name("input"));
      }
    }
    int qmax = layer.inputSpec().qmax();
    return (x, y) -> {
      int[] q = requantize == null ? x : requantize(x, requantize, qmax);
      if (!s.conv()) {
        return dense(q, w, bias, s.outChannels());
      }
      return s.depthwise() ? depthwise(q, w, bias, s) : conv(q, w, bias, s);
    };
  }

  /** {@code clamp(round(x·M[c]), 0, qmax)}, channel {@code c = i mod M.length}. */
  private static int[] requantize(int[] x, FixedPointMultiplier[] m, int qmax) {
    int[] out = new int[x.length];
    int channels = m.length;
    for (int i = 0, c = 0; i < x.length; i++) {
      int q = m[c].applySaturating(x[i]);
      out[i] = q < 0 ? 0 : Math.min(qmax, q);
      if (++c == channels) {
        c = 0;
      }
    }
    return out;
  }

  private static int[] dense(int[] x, int[] kernel, int[] bias, int out) {
    int[] acc = Arrays.copyOf(bias, out);
    for (int i = 0; i < x.length; i++) {
      int v = x[i];
      if (v != 0) {
        int row = i * out;
        for (int o = 0; o < out; o++) {
          acc[o] += v * kernel[row + o];
        }
      }
    }
    return acc;
  }

  /** Conv with an HWIO kernel, {@code padding} zeros on every side, stride {@code stride}. */
  private static int[] conv(int[] x, int[] kernel, int[] bias, LayerShape s) {
    int h = s.height();
    int w = s.width();
    int cin = s.inChannels();
    int cout = s.outChannels();
    int k = s.kernel();
    int stride = s.stride();
    int pad = s.padding();
    int[] acc = new int[cout];
    int[] out = new int[s.outHeight() * s.outWidth() * cout];
    for (int oh = 0; oh < s.outHeight(); oh++) {
      for (int ow = 0; ow < s.outWidth(); ow++) {
        System.arraycopy(bias, 0, acc, 0, cout);
        for (int kh = 0; kh < k; kh++) {
          int ih = oh * stride + kh - pad;
          if (ih < 0 || ih >= h) {
            continue;
          }
          for (int kw = 0; kw < k; kw++) {
            int iw = ow * stride + kw - pad;
            if (iw < 0 || iw >= w) {
              continue;
            }
            int in = (ih * w + iw) * cin;
            int row = (kh * k + kw) * cin * cout;
            for (int ci = 0; ci < cin; ci++) {
              int v = x[in + ci];
              if (v != 0) {
                int wr = row + ci * cout;
                for (int co = 0; co < cout; co++) {
                  acc[co] += v * kernel[wr + co];
                }
              }
            }
          }
        }
        System.arraycopy(acc, 0, out, (oh * s.outWidth() + ow) * cout, cout);
      }
    }
    return out;
  }

  /** Depthwise conv: kernel {@code [k, k, 1, C]}, output channel c reads input channel c only. */
  private static int[] depthwise(int[] x, int[] kernel, int[] bias, LayerShape s) {
    int h = s.height();
    int w = s.width();
    int c = s.outChannels();
    int k = s.kernel();
    int stride = s.stride();
    int pad = s.padding();
    int[] acc = new int[c];
    int[] out = new int[s.outHeight() * s.outWidth() * c];
    for (int oh = 0; oh < s.outHeight(); oh++) {
      for (int ow = 0; ow < s.outWidth(); ow++) {
        System.arraycopy(bias, 0, acc, 0, c);
        for (int kh = 0; kh < k; kh++) {
          int ih = oh * stride + kh - pad;
          if (ih < 0 || ih >= h) {
            continue;
          }
          for (int kw = 0; kw < k; kw++) {
            int iw = ow * stride + kw - pad;
            if (iw < 0 || iw >= w) {
              continue;
            }
            int in = (ih * w + iw) * c;
            int row = (kh * k + kw) * c;
            for (int ch = 0; ch < c; ch++) {
              acc[ch] += x[in + ch] * kernel[row + ch];
            }
          }
        }
        System.arraycopy(acc, 0, out, (oh * s.outWidth() + ow) * c, c);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- between weight layers

  private static int[] relu(int[] x) {
    int[] out = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = Math.max(0, x[i]);
    }
    return out;
  }

  private static int[] relu6(int[] x, int[] six) {
    int[] out = new int[x.length];
    int channels = six.length;
    for (int i = 0, c = 0; i < x.length; i++) {
      out[i] = Math.min(six[c], Math.max(0, x[i]));
      if (++c == channels) {
        c = 0;
      }
    }
    return out;
  }

  /**
   * Pooling (VALID windows) of an (h, w, c) map: {@code mode} 1 is max pooling, {@code -d} the
   * window's sum divided by {@code d} (rounded half away from zero; d = 1: the exact sum).
   */
  private static int[] pool(int[] x, TensorShape in, int size, int stride, int mode) {
    int w = in.width();
    int c = in.channels();
    int oh = (in.height() - size) / stride + 1;
    int ow = (w - size) / stride + 1;
    int[] out = new int[oh * ow * c];
    for (int i = 0; i < oh; i++) {
      for (int j = 0; j < ow; j++) {
        int base = (i * ow + j) * c;
        for (int ch = 0; ch < c; ch++) {
          long sum = 0;
          int best = Integer.MIN_VALUE;
          for (int a = 0; a < size; a++) {
            int row = ((i * stride + a) * w + j * stride) * c + ch;
            for (int b = 0; b < size; b++) {
              int v = x[row + b * c];
              sum += v;
              best = Math.max(best, v);
            }
          }
          out[base + ch] = mode == 1 ? best : divideRounded(sum, -mode);
        }
      }
    }
    return out;
  }

  /** Per channel, the sum over the whole map divided by {@code divisor} (rounded). */
  private static int[] globalSum(int[] x, TensorShape in, int divisor) {
    int c = in.channels();
    long[] sums = new long[c];
    for (int i = 0, ch = 0; i < x.length; i++) {
      sums[ch] += x[i];
      if (++ch == c) {
        ch = 0;
      }
    }
    int[] out = new int[c];
    for (int ch = 0; ch < c; ch++) {
      out[ch] = divideRounded(sums[ch], divisor);
    }
    return out;
  }

  /** {@code sum / count} rounded half away from zero, saturated to int32. */
  static int divideRounded(long sum, int count) {
    long half = count / 2;
    long q = sum >= 0 ? (sum + half) / count : -((-sum + half) / count);
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, q));
  }

  /**
   * {@code x} and {@code y} on the common grid ({@code null} multiplier: already on it), added,
   * saturated to int32.
   */
  private static int[] add(int[] x, int[] y, FixedPointMultiplier[] mx, FixedPointMultiplier[] my) {
    int[] out = new int[x.length];
    int channels = mx.length;
    for (int i = 0, c = 0; i < x.length; i++) {
      long a = mx[c] == null ? x[i] : mx[c].applySaturating(x[i]);
      long b = my[c] == null ? y[i] : my[c].applySaturating(y[i]);
      out[i] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, a + b));
      if (++c == channels) {
        c = 0;
      }
    }
    return out;
  }

  /** Per-channel scales (element i has {@code s[i mod s.length]}) spelled out per element. */
  private static double[] expand(double[] s, int elements) {
    double[] out = new double[elements];
    for (int i = 0; i < elements; i++) {
      out[i] = s[i % s.length];
    }
    return out;
  }

  static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }
}
