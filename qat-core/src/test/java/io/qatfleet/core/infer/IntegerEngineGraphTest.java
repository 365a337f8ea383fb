package io.qatfleet.core.infer;

import static io.qatfleet.core.model.LayerSpec.add;
import static io.qatfleet.core.model.LayerSpec.conv;
import static io.qatfleet.core.model.LayerSpec.dense;
import static io.qatfleet.core.model.LayerSpec.depthwise;
import static io.qatfleet.core.model.LayerSpec.named;
import static io.qatfleet.core.model.LayerSpec.of;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.model.LayerGraph;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.LayerSpec;
import io.qatfleet.core.model.ModelGraph;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.quant.Granularity;
import io.qatfleet.core.quant.QuantSpec;
import io.qatfleet.core.quant.QuantizedTensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tiny layer graphs with hand-picked integer weights, one per layer kind the graph adds, each
 * worked by hand in the comments. {@code PS} is the pixel step 1/255 (float32); weight steps are
 * powers of two or exact binary fractions so that every step-size ratio is exact.
 */
class IntegerEngineGraphTest {
  private static final double PS = ModelGraph.PIXEL_STEP;
  private static final QuantSpec A8 = QuantSpec.unsignedActivations(8);

  @Test
  void stridedPaddedConvReadsZerosOutsideTheImage() {
    // Image 3×3×1, pixel levels
    //   1 2 3
    //   4 5 6
    //   7 8 9
    // conv: 1 filter, kernel 3, stride 2, padding 1 → 2×2 output; every tap 1 but the bottom-right
    // one (kh = kw = 2), which is 2; bias 1. Output (i, j) is centred on input (2i, 2j):
    //   (0,0): in-image taps 1+2+4+5 = 12, bottom-right tap on 5 counts twice → 17, +1 = 18
    //   (0,1): 2+3+5+6 = 16, bottom-right tap at (1, 3) is padding → 16, +1 = 17
    //   (1,0): 4+5+7+8 = 24, bottom-right tap at (3, 1) is padding → 24, +1 = 25
    //   (1,1): 5+6+8+9 = 28, bottom-right tap at (3, 3) is padding → 28, +1 = 29
    ModelSpec spec =
        ModelSpec.graph(List.of(conv("c", 1, 3, 2, 1), of("flatten"), dense(4)), 3, 3, 1, 4);
    List<LayerShape> shapes = spec.graph().layers();
    int[] kernel = {1, 1, 1, 1, 1, 1, 1, 1, 2};
    // Dense: identity, input step PS·1 = the conv's accumulator step, so requantization is ×1.
    QuantizedModel model =
        new QuantizedModel(
            spec,
            List.of(
                layer(shapes.get(0), kernel, new float[] {1f}, new int[] {1}, (float) PS),
                layer(shapes.get(1), identity(4), new float[] {1f}, new int[4], (float) PS)));
    IntegerEngine engine = new IntegerEngine(model);
    Dataset data = image(3, 3, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    int[][] values = engine.trace(data, 0);
    assertThat(values[position(spec, "c")]).containsExactly(18, 17, 25, 29);
    assertThat(engine.scales(position(spec, "c"))).containsExactly(PS);
    // Logits: accumulators 18, 17, 25, 29 at step PS·1.
    float[] logits = engine.logits(data, 0);
    assertThat(logits[3]).isCloseTo((float) (29 * PS), within(1e-7f));
    assertThat(engine.predict(data)).containsExactly(3);
  }

  @Test
  void depthwiseConvKeepsChannelsApart() {
    // Image 2×2×2: channel 0 = [1 2; 3 4], channel 1 = [10 20; 30 40] (HWC bytes interleaved).
    // Depthwise 3×3, stride 1, padding 1; kernel [3, 3, 1, 2] (last axis = channel):
    //   channel 0: centre tap 1 and top-left tap 1: out(i, j) = x0(i, j) + x0(i-1, j-1)
    //     → (0,0) 1, (0,1) 2, (1,0) 3, (1,1) 4 + x0(0,0) = 5; bias 0
    //   channel 1: centre tap 2 only: 20, 40, 60, 80; bias -5 → 15, 35, 55, 75
    // A dense conv would mix channel 1 into channel 0; the depthwise one must not.
    ModelSpec spec =
        ModelSpec.graph(List.of(depthwise("dw", 2, 1), of("flatten"), dense(2)), 2, 2, 2, 2);
    List<LayerShape> shapes = spec.graph().layers();
    int[] kernel = new int[3 * 3 * 2];
    kernel[0] = 1; // (kh 0, kw 0, channel 0): top-left tap of channel 0
    kernel[(1 * 3 + 1) * 2] = 1; // centre tap, channel 0
    kernel[(1 * 3 + 1) * 2 + 1] = 2; // centre tap, channel 1
    QuantizedModel model =
        new QuantizedModel(
            spec,
            List.of(
                layer(shapes.get(0), kernel, new float[] {0.5f, 0.25f}, new int[] {0, -5}, PS),
                layer(shapes.get(1), new int[16], new float[] {1f}, new int[2], 0.01f)));
    IntegerEngine engine = new IntegerEngine(model);
    int[][] values = engine.trace(image(2, 2, 2, 1, 10, 2, 20, 3, 30, 4, 40), 0);
    // (h, w, c) order: (0,0,c0) (0,0,c1) (0,1,c0) (0,1,c1) ...
    assertThat(values[position(spec, "dw")]).containsExactly(1, 15, 2, 35, 3, 55, 5, 75);
    // Accumulator steps per channel: PS·0.5 and PS·0.25.
    assertThat(engine.scales(position(spec, "dw"))).containsExactly(PS * 0.5f, PS * 0.25f);
  }

  @Test
  void relu6ClampsEachChannelAtSixOverItsStep() {
    // Image 1×2 (flattened): pixels 100, 50. Dense 2 → 3, kernel [in, out]:
    //   in 0: [7, 0, 1], in 1: [0, -1, 0]; bias [0, 0, 5]
    //   acc = [100·7, 50·(-1), 100·1 + 5] = [700, -50, 105]
    // Weight steps [2.55, 127.5, 51] → accumulator steps PS·s_w ≈ [0.01, 0.5, 0.2]:
    //   relu6 clamps at round(6/s) = [600, 12, 30] and at 0 → [600, 0, 30]
    //   (in float: 7.0 → 6, -25 → 0, 21 → 6: 6/0.2 = 30 levels)
    ModelSpec spec =
        ModelSpec.graph(
            List.of(of("flatten"), denseNamed("d", 3), named("relu6", "r"), dense(2)), 1, 2, 1, 2);
    List<LayerShape> shapes = spec.graph().layers();
    QuantizedModel model =
        new QuantizedModel(
            spec,
            List.of(
                layer(
                    shapes.get(0),
                    new int[] {7, 0, 1, 0, -1, 0},
                    new float[] {2.55f, 127.5f, 51f},
                    new int[] {0, 0, 5},
                    PS),
                layer(shapes.get(1), new int[6], new float[] {1f}, new int[2], 0.1f)));
    IntegerEngine engine = new IntegerEngine(model);
    int[][] values = engine.trace(image(1, 2, 1, 100, 50), 0);
    assertThat(values[position(spec, "d")]).containsExactly(700, -50, 105);
    assertThat(values[position(spec, "r")]).containsExactly(600, 0, 30);
  }

  @Test
  void avgPoolKeepsTheWindowSumOnAFinerGrid() {
    // Image 2×4×1: [1 2 3 4; 5 6 7 9]. conv 1×1, weight 1, bias 0: the pixels at step PS.
    // avgPool 2 (stride 2) → 1×2: sums 1+2+5+6 = 14 and 3+4+7+9 = 23 on the grid PS/4 (means
    // 3.5 and 5.75 pixel levels, unrounded). The dense layer's input step is PS, so
    // requantization multiplies by 1/4: round(3.5) = 4 (ties up), round(5.75) = 6.
    // Dense 2 → 2 identity: logits [4, 6]·PS.
    ModelSpec spec =
        ModelSpec.graph(
            List.of(
                conv("c", 1, 1, 1, 0),
                new LayerSpec("avgPool", "p", null, null, null, null, 2, null, null, 2, null),
                of("flatten"),
                dense(2)),
            2,
            4,
            1,
            2);
    List<LayerShape> shapes = spec.graph().layers();
    QuantizedModel model =
        new QuantizedModel(
            spec,
            List.of(
                layer(shapes.get(0), new int[] {1}, new float[] {1f}, new int[1], PS),
                layer(shapes.get(1), identity(2), new float[] {1f}, new int[2], PS)));
    IntegerEngine engine = new IntegerEngine(model);
    Dataset data = image(2, 4, 1, 1, 2, 3, 4, 5, 6, 7, 9);
    int[][] values = engine.trace(data, 0);
    assertThat(values[position(spec, "p")]).containsExactly(14, 23);
    assertThat(engine.scales(position(spec, "p"))).containsExactly(PS / 4);
    assertThat(values[values.length - 1]).containsExactly(4, 6);
  }

  @Test
  void avgPoolDividesWithRoundingWhenTheSumCouldOverflow() {
    // conv 1×1, weight 1, bias -2^30 on a 2×2 image [1 2; 3 5]: accumulators pixel - 2^30, bound
    // 255 + 2^30. The 2×2 window's sum is bounded by 4·(2^30 + 255) > 2^31 - 1, so the engine
    // divides it by the least divisor that fits, ceil(4·(2^30 + 255) / (2^31 - 1)) = 3, on the
    // grid 3·PS/4:
    //   sum = 11 - 2^32 = -4294967285; /3 = -1431655761.67 → -1431655762 (nearest)
    ModelSpec spec =
        ModelSpec.graph(
            List.of(
                conv("c", 1, 1, 1, 0),
                new LayerSpec("avgPool", "p", null, null, null, null, 2, null, null, 2, null),
                of("flatten"),
                dense(2)),
            2,
            2,
            1,
            2);
    List<LayerShape> shapes = spec.graph().layers();
    QuantizedModel model =
        new QuantizedModel(
            spec,
            List.of(
                layer(shapes.get(0), new int[] {1}, new float[] {1f}, new int[] {-(1 << 30)}, PS),
                layer(shapes.get(1), identity(1, 2), new float[] {1f}, new int[2], PS)));
    IntegerEngine engine = new IntegerEngine(model);
    int[][] values = engine.trace(image(2, 2, 1, 1, 2, 3, 5), 0);
    assertThat(values[position(spec, "p")]).containsExactly(-1431655762);
    assertThat(engine.scales(position(spec, "p"))).containsExactly(PS * 3 / 4);
  }

  @Test
  void dividesRoundingHalfAwayFromZero() {
    assertThat(IntegerEngine.divideRounded(6, 4)).isEqualTo(2); // 1.5
    assertThat(IntegerEngine.divideRounded(-6, 4)).isEqualTo(-2); // -1.5
    assertThat(IntegerEngine.divideRounded(5, 4)).isEqualTo(1); // 1.25
    assertThat(IntegerEngine.divideRounded(-7, 4)).isEqualTo(-2); // -1.75
    assertThat(IntegerEngine.divideRounded(4, 3)).isEqualTo(1); // 1.33
    assertThat(IntegerEngine.divideRounded(1L << 40, 2)).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void globalAvgPoolSumsEachChannel() {
    // Image 2×2×2: channel 0 = [1 2; 3 4], channel 1 = [10 20; 30 40]. conv 1×1, kernel
    // [[1, 0], [0, 1]] (identity), bias [0, 10], weight steps [1, 0.5]:
    //   channel 0: 1, 2, 3, 4; channel 1: 20, 30, 40, 50
    // globalAvgPool: sums 10 and 140 on the grids PS·1/4 and PS·0.5/4 (means 2.5 and 35 levels).
    ModelSpec spec =
        ModelSpec.graph(
            List.of(conv("c", 2, 1, 1, 0), named("globalAvgPool", "g"), dense(2)), 2, 2, 2, 2);
    List<LayerShape> shapes = spec.graph().layers();
    QuantizedModel model =
        new QuantizedModel(
            spec,
            List.of(
                layer(shapes.get(0), identity(2), new float[] {1f, 0.5f}, new int[] {0, 10}, PS),
                layer(shapes.get(1), identity(2), new float[] {1f}, new int[2], 0.05f)));
    IntegerEngine engine = new IntegerEngine(model);
    int[][] values = engine.trace(image(2, 2, 2, 1, 10, 2, 20, 3, 30, 4, 40), 0);
    assertThat(values[position(spec, "g")]).containsExactly(10, 140);
    assertThat(engine.scales(position(spec, "g"))).containsExactly(PS / 4, PS * 0.5f / 4);
  }

  @Test
  void addRescalesBothInputsToAFinerCommonGrid() {
    // Image 1×2 (flattened): pixels 10, 20. Two dense layers read it (both read the image):
    //   a: kernel [[2, 0], [1, -1]] ([in, out]), bias [0, 3], steps [0.75, 0.5]
    //      acc a = [10·2 + 20·1, 10·0 + 20·(-1) + 3] = [40, -17]
    //   b: kernel [[-1, 1], [0, 2]], bias [4, 0], steps [0.5, 1.25]
    //      acc b = [10·(-1) + 4, 10·1 + 20·2] = [-6, 50]
    // Accumulator steps: a PS·[0.75, 0.5], b PS·[0.5, 1.25]; the finer per channel is PS·0.5
    // for both. Bounds (Σ|w|·255 + |bias|): a max(3·255, 255 + 3) = 765, b max(255 + 4, 3·255)
    // = 765; on the finer grid the sum is bounded by max(765·1.5 + 765, 765 + 765·2.5) = 2677.5,
    // so 2677.5·2^12 < 2^30 leaves room for all 12 extra bits: output step PS·0.5/4096.
    //   channel 0: 40·(0.75/0.5·4096 = 6144) + (-6)·4096 = 245760 - 24576 = 221184
    //   channel 1: -17·4096 + 50·(1.25/0.5·4096 = 10240) = -69632 + 512000 = 442368
    ModelSpec spec =
        ModelSpec.graph(
            List.of(
                named("flatten", "flat"),
                denseNamed("a", 2),
                denseNamed("b", 2).from("flat"),
                add("sum", "a"),
                of("relu"),
                dense(2)),
            1,
            2,
            1,
            2);
    List<LayerShape> shapes = spec.graph().layers();
    QuantizedModel model =
        new QuantizedModel(
            spec,
            List.of(
                layer(
                    shapes.get(0),
                    new int[] {2, 0, 1, -1},
                    new float[] {0.75f, 0.5f},
                    new int[] {0, 3},
                    PS),
                layer(
                    shapes.get(1),
                    new int[] {-1, 1, 0, 2},
                    new float[] {0.5f, 1.25f},
                    new int[] {4, 0},
                    PS),
                layer(shapes.get(2), identity(2), new float[] {1f}, new int[2], 0.01f)));
    IntegerEngine engine = new IntegerEngine(model);
    int[][] values = engine.trace(image(1, 2, 1, 10, 20), 0);
    assertThat(values[position(spec, "a")]).containsExactly(40, -17);
    assertThat(values[position(spec, "b")]).containsExactly(-6, 50);
    assertThat(values[position(spec, "sum")]).containsExactly(221184, 442368);
    double fine = Math.scalb(PS * 0.5, -IntegerEngine.MAX_ADD_BITS);
    assertThat(engine.scales(position(spec, "sum"))).containsExactly(fine, fine);
    // Float check: 221184·PS·0.5/4096 = 27·PS = 40·0.75·PS - 6·0.5·PS.
    assertThat(221184 * fine).isCloseTo((40 * 0.75 - 6 * 0.5) * PS, within(1e-12));
  }

  @Test
  void flattenKeepsEachElementsChannelStepIntoDense() {
    // Image 2×2×2: channel 0 = [1 2; 3 4], channel 1 = [10 20; 30 40]. conv 1×1 identity,
    // bias 0, weight steps [1, 2]: accumulators = pixels, steps PS·[1, 2].
    // flatten (h, w, c): [1, 10, 2, 20, 3, 30, 4, 40], element i has channel i mod 2.
    // Dense input step PS·2: requantization multiplies channel 0 by 1/2 and channel 1 by 1:
    //   [round(0.5) = 1 (ties up), 10, 1, 20, round(1.5) = 2, 30, 2, 40]
    // Dense 8 → 2: unit 0 sums every input: 1+10+1+20+2+30+2+40 = 106; unit 1 weighs the
    // channel-0 elements 1, 2, 3, 4 and ignores channel 1: 1·1 + 1·2 + 2·3 + 2·4 = 17.
    ModelSpec spec =
        ModelSpec.graph(List.of(conv("c", 2, 1, 1, 0), of("flatten"), dense(2)), 2, 2, 2, 2);
    List<LayerShape> shapes = spec.graph().layers();
    int[] denseKernel = new int[8 * 2];
    for (int i = 0; i < 8; i++) {
      denseKernel[i * 2] = 1;
      denseKernel[i * 2 + 1] = i % 2 == 0 ? i / 2 + 1 : 0;
    }
    QuantizedModel model =
        new QuantizedModel(
            spec,
            List.of(
                layer(shapes.get(0), identity(2), new float[] {1f, 2f}, new int[2], PS),
                layer(shapes.get(1), denseKernel, new float[] {1f}, new int[2], (float) (PS * 2))));
    IntegerEngine engine = new IntegerEngine(model);
    Dataset data = image(2, 2, 2, 1, 10, 2, 20, 3, 30, 4, 40);
    int[][] values = engine.trace(data, 0);
    assertThat(values[values.length - 1]).containsExactly(106, 17);
    // Logits: accumulators times the dense layer's step (PS·2)·1.
    float[] logits = engine.logits(data, 0);
    assertThat(logits[0]).isCloseTo((float) (106 * (float) (PS * 2)), within(1e-6f));
    assertThat(logits[1]).isCloseTo((float) (17 * (float) (PS * 2)), within(1e-6f));
  }

  @Test
  void rejectsImagesOfAnotherShapeAndLayersThatAreNotTheSpecs() {
    ModelSpec spec = ModelSpec.graph(List.of(of("flatten"), dense(2)), 1, 2, 1, 2);
    List<LayerShape> shapes = spec.graph().layers();
    QuantizedModel model =
        new QuantizedModel(
            spec, List.of(layer(shapes.get(0), identity(2), new float[] {1f}, new int[2], PS)));
    IntegerEngine engine = new IntegerEngine(model);
    assertThatThrownBy(() -> engine.predict(image(1, 3, 1, 1, 2, 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("do not fit the model's input 1x2x1");
    // A layer reading the image has the pixel step, not another.
    assertThatThrownBy(() -> layer(shapes.get(0), identity(2), new float[] {1f}, new int[2], 0.5f))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reads the image");
    // A layer shaped for another model.
    ModelSpec wider = ModelSpec.graph(List.of(of("flatten"), dense(2)), 1, 3, 1, 2);
    QuantizedLayer other =
        layer(wider.graph().layers().get(0), new int[6], new float[] {1f}, new int[2], PS);
    assertThatThrownBy(() -> new QuantizedModel(spec, List.of(other)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not the model's weight layer");
  }

  // ---------------------------------------------------------------- helpers

  private static LayerSpec denseNamed(String name, int units) {
    return new LayerSpec("dense", name, null, null, null, null, null, null, null, null, units);
  }

  private static QuantizedLayer layer(
      LayerShape shape, int[] levels, float[] scales, int[] bias, double inputScale) {
    byte[] bytes = new byte[levels.length];
    for (int i = 0; i < levels.length; i++) {
      bytes[i] = (byte) levels[i];
    }
    Granularity g = scales.length == 1 ? Granularity.PER_TENSOR : Granularity.PER_CHANNEL;
    QuantizedTensor w =
        new QuantizedTensor(
            shape.kernelShape(), bytes, scales, new int[scales.length], QuantSpec.weights(8, g));
    return new QuantizedLayer(shape, w, bias, (float) inputScale, A8);
  }

  /** An n×n identity kernel ([in, out], or a 1×1 conv's [1, 1, n, n]). */
  private static int[] identity(int n) {
    int[] k = new int[n * n];
    for (int i = 0; i < n; i++) {
      k[i * n + i] = 1;
    }
    return k;
  }

  /** An [in, out] kernel with ones on the diagonal. */
  private static int[] identity(int in, int out) {
    int[] k = new int[in * out];
    for (int i = 0; i < Math.min(in, out); i++) {
      k[i * out + i] = 1;
    }
    return k;
  }

  private static Dataset image(int rows, int cols, int channels, int... pixels) {
    byte[] bytes = new byte[pixels.length];
    for (int i = 0; i < pixels.length; i++) {
      bytes[i] = (byte) pixels[i];
    }
    return new Dataset("hand", rows, cols, channels, 10, bytes, new byte[1]);
  }

  private static int position(ModelSpec spec, String name) {
    List<String> names = new ArrayList<>();
    for (LayerGraph.Node n : spec.graph().nodes()) {
      if (n.name().equals(name)) {
        return n.position();
      }
      names.add(n.name());
    }
    throw new AssertionError("no node " + name + " in " + names);
  }
}
