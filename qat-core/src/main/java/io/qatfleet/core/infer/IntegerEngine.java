package io.qatfleet.core.infer;

import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.model.LayerShape;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Runs a {@link QuantizedModel} with integer arithmetic only, as an int8 accelerator would: int32
 * accumulation of {@code q_x·q_w} plus the int32 bias, then for hidden layers a fixed-point
 * requantization to the next layer's activation grid (ReLU is the clamp at 0), then 2×2 max pooling
 * on the integer levels. The last layer's accumulators are scaled to float logits only to pick the
 * class. Samples run in parallel on the common fork-join pool.
 */
public final class IntegerEngine {
  private final QuantizedModel model;
  private final int[][] weights;
  private final FixedPointMultiplier[][] requantize;
  private final int[] outputMax;

  public IntegerEngine(QuantizedModel model) {
    this.model = model;
    int n = model.layers().size();
    weights = new int[n][];
    requantize = new FixedPointMultiplier[n][];
    outputMax = new int[n];
    for (int i = 0; i < n; i++) {
      QuantizedLayer l = model.layers().get(i);
      byte[] levels = l.weights().levels();
      weights[i] = new int[levels.length];
      for (int k = 0; k < levels.length; k++) {
        weights[i][k] = levels[k];
      }
      if (i + 1 < n) {
        QuantizedLayer next = model.layers().get(i + 1);
        requantize[i] = new FixedPointMultiplier[l.shape().outChannels()];
        for (int c = 0; c < requantize[i].length; c++) {
          requantize[i][c] = FixedPointMultiplier.of(l.accumulatorScale(c) / next.inputScale());
        }
        outputMax[i] = next.inputSpec().qmax();
      }
    }
  }

  /** Predicted class of every sample. */
  public int[] predict(Dataset data) {
    int[] out = new int[data.size()];
    IntStream.range(0, data.size()).parallel().forEach(i -> out[i] = argmax(logits(data, i)));
    return out;
  }

  /** Float logits of sample {@code index} (integer accumulators times their step size). */
  public float[] logits(Dataset data, int index) {
    int pixels = data.pixelsPerImage();
    int[] x = new int[pixels];
    byte[] raw = data.pixels();
    for (int p = 0; p < pixels; p++) {
      x[p] = raw[index * pixels + p] & 0xff;
    }
    int last = model.layers().size() - 1;
    for (int i = 0; i < last; i++) {
      QuantizedLayer l = model.layers().get(i);
      x = l.shape().conv() ? convReluPool(i, l, x) : denseRelu(i, l, x);
    }
    QuantizedLayer out = model.layers().get(last);
    int[] acc = dense(last, out, x);
    float[] logits = new float[acc.length];
    for (int c = 0; c < acc.length; c++) {
      logits[c] = (float) (acc[c] * out.accumulatorScale(c));
    }
    return logits;
  }

  private int[] convReluPool(int index, QuantizedLayer layer, int[] x) {
    LayerShape s = layer.shape();
    int h = s.height();
    int w = s.width();
    int cin = s.inChannels();
    int cout = s.outChannels();
    int[] kernel = weights[index];
    int[] acc = new int[cout];
    int[] activations = new int[h * w * cout];
    for (int oh = 0; oh < h; oh++) {
      for (int ow = 0; ow < w; ow++) {
        System.arraycopy(layer.bias(), 0, acc, 0, cout);
        for (int kh = 0; kh < s.kernel(); kh++) {
          int ih = oh + kh - 1;
          if (ih < 0 || ih >= h) {
            continue;
          }
          for (int kw = 0; kw < s.kernel(); kw++) {
            int iw = ow + kw - 1;
            if (iw < 0 || iw >= w) {
              continue;
            }
            int in = (ih * w + iw) * cin;
            int row = (kh * s.kernel() + kw) * cin * cout;
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
        int base = (oh * w + ow) * cout;
        for (int co = 0; co < cout; co++) {
          activations[base + co] = requantize(index, co, acc[co]);
        }
      }
    }
    int ph = h / 2;
    int pw = w / 2;
    int[] pooled = new int[ph * pw * cout];
    for (int oh = 0; oh < ph; oh++) {
      for (int ow = 0; ow < pw; ow++) {
        for (int c = 0; c < cout; c++) {
          int a = activations[((2 * oh) * w + 2 * ow) * cout + c];
          int b = activations[((2 * oh) * w + 2 * ow + 1) * cout + c];
          int d = activations[((2 * oh + 1) * w + 2 * ow) * cout + c];
          int e = activations[((2 * oh + 1) * w + 2 * ow + 1) * cout + c];
          pooled[(oh * pw + ow) * cout + c] = Math.max(Math.max(a, b), Math.max(d, e));
        }
      }
    }
    return pooled;
  }

  private int[] denseRelu(int index, QuantizedLayer layer, int[] x) {
    int[] acc = dense(index, layer, x);
    for (int c = 0; c < acc.length; c++) {
      acc[c] = requantize(index, c, acc[c]);
    }
    return acc;
  }

  private int[] dense(int index, QuantizedLayer layer, int[] x) {
    int out = layer.shape().outChannels();
    int[] kernel = weights[index];
    int[] acc = Arrays.copyOf(layer.bias(), out);
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

  private int requantize(int layer, int channel, int accumulator) {
    int q = requantize[layer][channel].apply(accumulator);
    return Math.max(0, Math.min(outputMax[layer], q));
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
