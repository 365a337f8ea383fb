package io.qatfleet.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.quant.ModelQuantization;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.quant.RangeObserver;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Batch-norm folding on a hand-made 2-pixel MLP: one hidden dense layer of 2 units with batch norm,
 * then a 2-class output layer. Every value is set by hand so that the fold is exact in decimals:
 *
 * <pre>
 *   W = [[0.1, -0.4], [0.2, 0.8]] ([in, out]), b = [0.1, 0.7]
 *   γ = [1.5, 0.5], β = [0.5, -0.2], μ = [0.2, 0.3], σ² = [0.249, 3.999], ε = 0.001
 *   f = γ/sqrt(σ²+ε) = [1.5/0.5, 0.5/2] = [3, 0.25]
 *   W' = W·f = [[0.3, -0.1], [0.6, 0.2]]
 *   b' = β + (b−μ)·f = [0.5 + (−0.1)·3, −0.2 + 0.4·0.25] = [0.2, −0.1]
 * </pre>
 *
 * W' lies on the 8-bit weight grid of step 0.01 (levels 30, −10, 60, 20) and b' on the accumulator
 * grid of step 0.01/255 (levels 5100, −2550), so fake quantization leaves the folded layer as it is
 * and the quantized graph must compute what the float graph computes with batch norm unfolded.
 */
class BatchNormFoldingTest {
  private static final ModelSpec SPEC =
      new ModelSpec(Architecture.MLP, List.of(), List.of(2), true, 1, 2, 2);
  private static final ModelQuantization W8A8 =
      ModelQuantization.of(QuantizationSpec.of(8, 8, QatMethod.LSQ), SPEC.layerCount());
  private static final float TOLERANCE = 1e-6f;

  private static ModelState handState() {
    return new ModelState(Map.of())
        .with("layer0.kernel", new long[] {2, 2}, new float[] {0.1f, -0.4f, 0.2f, 0.8f})
        .with("layer0.bias", new long[] {2}, new float[] {0.1f, 0.7f})
        .with("layer0.bn_gamma", new long[] {2}, new float[] {1.5f, 0.5f})
        .with("layer0.bn_beta", new long[] {2}, new float[] {0.5f, -0.2f})
        .with("layer0.bn_mean", new long[] {2}, new float[] {0.2f, 0.3f})
        .with("layer0.bn_var", new long[] {2}, new float[] {0.249f, 3.999f})
        .with("layer1.kernel", new long[] {2, 2}, new float[] {1f, -1f, -1f, 1f})
        .with("layer1.bias", new long[] {2}, new float[] {0f, 0f})
        .with("layer0.w_scale", new long[] {2}, new float[] {0.01f, 0.01f})
        .with("layer1.w_scale", new long[] {2}, new float[] {0.01f, 0.01f})
        .with("layer1.in_scale", new long[0], new float[] {0.01f});
  }

  /** Pixels (51, 102), (0, 255), (255, 0): x = (0.2, 0.4), (0, 1), (1, 0). */
  private static Dataset handInputs() {
    byte[] pixels = {51, 102, 0, (byte) 255, (byte) 255, 0};
    return new Dataset("hand", 1, 2, 2, pixels, new byte[] {0, 1, 0});
  }

  @Test
  void foldsBatchNormIntoKernelAndBias() {
    try (ModelGraph g = ModelGraph.build(ModelGraph.Config.inference(SPEC, W8A8), handState())) {
      List<float[]> weights = g.effectiveWeights();
      assertThat(weights.get(0))
          .containsExactly(new float[] {0.3f, -0.1f, 0.6f, 0.2f}, within(TOLERANCE));
      assertThat(weights.get(1)).containsExactly(new float[] {0.2f, -0.1f}, within(TOLERANCE));
    }
  }

  @Test
  void keepsKernelAndBiasUnfoldedInFloatGraph() {
    try (ModelGraph g = ModelGraph.build(ModelGraph.Config.inference(SPEC, null), handState())) {
      List<float[]> weights = g.effectiveWeights();
      assertThat(weights.get(0)).containsExactly(0.1f, -0.4f, 0.2f, 0.8f);
      assertThat(weights.get(1)).containsExactly(0.1f, 0.7f);
    }
  }

  /**
   * The hidden layer's output relu(BN(x·W + b)), by hand with the unfolded layer, e.g. for x = (0,
   * 1): x·W + b = (0.3, 1.5); BN gives ((0.3−0.2)·3 + 0.5, (1.5−0.3)·0.25 − 0.2) = (0.8, 0.1).
   * Likewise (0.2, 0.4) gives (0.5, −0.04) and (1, 0) gives (0.5, −0.2), both cut to 0 by the ReLU.
   */
  private static final float[] HIDDEN = {0.5f, 0f, 0.8f, 0.1f, 0.5f, 0f};

  @Test
  void foldedQuantizedGraphComputesWhatUnfoldedFloatGraphComputes() {
    float[] unfolded;
    try (ModelGraph g = ModelGraph.build(ModelGraph.Config.inference(SPEC, null), handState())) {
      unfolded = hiddenOutput(g);
    }
    float[] folded;
    try (ModelGraph g = ModelGraph.build(ModelGraph.Config.inference(SPEC, W8A8), handState())) {
      folded = hiddenOutput(g);
    }
    assertThat(unfolded).containsExactly(HIDDEN, within(TOLERANCE));
    assertThat(folded).containsExactly(HIDDEN, within(TOLERANCE));
  }

  /** The values entering layer 1, i.e. the hidden layer's output, sample after sample. */
  private static float[] hiddenOutput(ModelGraph g) {
    List<float[]> seen = new ArrayList<>();
    RangeObserver capture =
        new RangeObserver() {
          @Override
          public void observe(float[] values, int from, int to) {
            seen.add(Arrays.copyOfRange(values, from, to));
          }

          @Override
          public float scale() {
            return 1f;
          }

          @Override
          public int zeroPoint() {
            return 0;
          }
        };
    g.observeLayerInputs(handInputs(), 3, Arrays.asList(null, capture));
    assertThat(seen).hasSize(1);
    return seen.get(0);
  }

  /**
   * A depthwise 3×3 conv over the 2 channels of a 4×4 image, batch norm, the logits. The depthwise
   * kernel is [3, 3, 1, 2]: entry i belongs to output channel i % 2, and folding scales each
   * channel by its own f = γ/sqrt(σ²+ε): with the values above, f = [3, 0.25].
   */
  private static final ModelSpec DEPTHWISE =
      ModelSpec.graph(
          List.of(
              LayerSpec.depthwise("dw", 2, 1),
              LayerSpec.of("batchNorm"),
              LayerSpec.of("flatten"),
              LayerSpec.of("dense")),
          4,
          4,
          2,
          2);

  @Test
  void foldsBatchNormIntoDepthwiseKernelPerChannel() {
    float[] kernel = new float[18];
    for (int i = 0; i < kernel.length; i++) {
      kernel[i] = (i % 3 - 1) * 0.05f * (i + 1);
    }
    float[] bias = {0.1f, 0.7f};
    float[] gamma = {1.5f, 0.5f};
    float[] beta = {0.5f, -0.2f};
    float[] mean = {0.2f, 0.3f};
    float[] variance = {0.249f, 3.999f};
    float[] dense = new float[32 * 2];
    for (int i = 0; i < dense.length; i++) {
      dense[i] = 0.01f * (i % 7 - 3);
    }
    ModelState state =
        new ModelState(Map.of())
            .with("layer0.kernel", new long[] {3, 3, 1, 2}, kernel)
            .with("layer0.bias", new long[] {2}, bias)
            .with("layer0.bn_gamma", new long[] {2}, gamma)
            .with("layer0.bn_beta", new long[] {2}, beta)
            .with("layer0.bn_mean", new long[] {2}, mean)
            .with("layer0.bn_var", new long[] {2}, variance)
            .with("layer1.kernel", new long[] {32, 2}, dense)
            .with("layer1.bias", new long[] {2}, new float[] {0.05f, -0.05f})
            .with("layer0.w_scale", new long[] {2}, new float[] {0.01f, 0.01f})
            .with("layer1.w_scale", new long[] {2}, new float[] {0.01f, 0.01f})
            .with("layer1.in_scale", new long[0], new float[] {0.01f});
    ModelQuantization w8a8 =
        ModelQuantization.of(QuantizationSpec.of(8, 8, QatMethod.LSQ), DEPTHWISE.layerCount());
    LayerShape dw = DEPTHWISE.graph().layers().get(0);
    assertThat(dw.depthwise()).isTrue();
    assertThat(dw.batchNorm()).isTrue();

    float[] expectedKernel = new float[kernel.length];
    for (int i = 0; i < kernel.length; i++) {
      int c = i % 2;
      expectedKernel[i] =
          (float) (kernel[i] * gamma[c] / Math.sqrt(variance[c] + (double) ModelGraph.BN_EPSILON));
    }
    float[] expectedBias = new float[2];
    for (int c = 0; c < 2; c++) {
      double f = gamma[c] / Math.sqrt(variance[c] + (double) ModelGraph.BN_EPSILON);
      expectedBias[c] = (float) (beta[c] + (bias[c] - mean[c]) * f);
    }
    // By hand: f = [3, 0.25], b' = [0.5 + (0.1 - 0.2)·3, -0.2 + (0.7 - 0.3)·0.25] = [0.2, -0.1].
    assertThat(expectedBias).containsExactly(new float[] {0.2f, -0.1f}, within(TOLERANCE));
    try (ModelGraph g = ModelGraph.build(ModelGraph.Config.inference(DEPTHWISE, w8a8), state)) {
      List<float[]> weights = g.effectiveWeights();
      assertThat(weights.get(0)).containsExactly(expectedKernel, within(TOLERANCE));
      assertThat(weights.get(1)).containsExactly(expectedBias, within(TOLERANCE));
      // The logits layer has no batch norm: as loaded.
      assertThat(weights.get(2)).containsExactly(dense);
    }
  }

  /**
   * The depthwise layer's output as the next layer sees it, against a depthwise convolution written
   * out here (each output channel sums its own input channel only; zero padding 1), then batch norm
   * with the moving statistics. γ = 1 and σ² + ε = 0.25 and 4 give f = [2, 0.5]; kernel entries are
   * hundredths, so the folded kernel lies on the per-channel weight grids of steps 0.02 and 0.005,
   * and the folded bias β + (b − μ)·f = β (b = μ) on the accumulator grids of steps 0.02/255 and
   * 0.005/255: the quantized graph must compute what the float graph computes.
   */
  @Test
  void foldedDepthwiseLayerComputesPerChannelConvolutionThenBatchNorm() {
    float[] kernel = new float[18];
    for (int i = 0; i < kernel.length; i++) {
      kernel[i] = 0.01f * ((i * 7) % 11 - 5);
    }
    float[] mean = {0.1f, -0.3f};
    float[] variance = {0.249f, 3.999f};
    float[] beta = {0.2f, -0.1f};
    float[] f = {2f, 0.5f};
    ModelState state =
        new ModelState(Map.of())
            .with("layer0.kernel", new long[] {3, 3, 1, 2}, kernel)
            .with("layer0.bias", new long[] {2}, mean)
            .with("layer0.bn_gamma", new long[] {2}, new float[] {1f, 1f})
            .with("layer0.bn_beta", new long[] {2}, beta)
            .with("layer0.bn_mean", new long[] {2}, mean)
            .with("layer0.bn_var", new long[] {2}, variance)
            .with("layer1.kernel", new long[] {32, 2}, new float[64])
            .with("layer1.bias", new long[] {2}, new float[2])
            .with("layer0.w_scale", new long[] {2}, new float[] {0.02f, 0.005f})
            .with("layer1.w_scale", new long[] {2}, new float[] {0.01f, 0.01f})
            .with("layer1.in_scale", new long[0], new float[] {0.01f});
    // Two 4×4 images of two channels, HWC bytes.
    byte[] pixels = new byte[2 * 4 * 4 * 2];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) ((i * 37 + 11) % 256);
    }
    Dataset images = new Dataset("hand", 4, 4, 2, 2, pixels, new byte[] {0, 1});

    // By hand, in double: out[y][x][c] = Σ k[dy][dx][c] · in[y+dy−1][x+dx−1][c] (zero outside),
    // then (out + b − μ)·f + β with b = μ.
    float[] expected = new float[2 * 4 * 4 * 2];
    for (int n = 0; n < 2; n++) {
      for (int y = 0; y < 4; y++) {
        for (int x = 0; x < 4; x++) {
          for (int c = 0; c < 2; c++) {
            double sum = 0;
            for (int dy = 0; dy < 3; dy++) {
              for (int dx = 0; dx < 3; dx++) {
                int iy = y + dy - 1;
                int ix = x + dx - 1;
                if (iy >= 0 && iy < 4 && ix >= 0 && ix < 4) {
                  double in = (pixels[((n * 4 + iy) * 4 + ix) * 2 + c] & 0xff) / 255.0;
                  sum += kernel[(dy * 3 + dx) * 2 + c] * in;
                }
              }
            }
            expected[((n * 4 + y) * 4 + x) * 2 + c] = (float) (sum * f[c] + beta[c]);
          }
        }
      }
    }
    ModelQuantization w8a8 =
        ModelQuantization.of(QuantizationSpec.of(8, 8, QatMethod.LSQ), DEPTHWISE.layerCount());
    for (ModelQuantization q : Arrays.asList(null, w8a8)) {
      try (ModelGraph g = ModelGraph.build(ModelGraph.Config.inference(DEPTHWISE, q), state)) {
        assertThat(layerOneInput(g, images))
            .as(q == null ? "float graph" : "quantized graph")
            .containsExactly(expected, within(TOLERANCE));
      }
    }
  }

  private static float[] layerOneInput(ModelGraph g, Dataset data) {
    List<float[]> seen = new ArrayList<>();
    RangeObserver capture =
        new RangeObserver() {
          @Override
          public void observe(float[] values, int from, int to) {
            seen.add(Arrays.copyOfRange(values, from, to));
          }

          @Override
          public float scale() {
            return 1f;
          }

          @Override
          public int zeroPoint() {
            return 0;
          }
        };
    g.observeLayerInputs(data, data.size(), Arrays.asList(null, capture));
    assertThat(seen).hasSize(1);
    return seen.get(0);
  }
}
