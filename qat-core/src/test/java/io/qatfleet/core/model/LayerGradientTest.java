package io.qatfleet.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.train.OptimizerKind;
import io.qatfleet.core.train.Trainable;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * TensorFlow's gradients of a float {@link ModelGraph}'s training loss (mean softmax cross-entropy,
 * batch norm with the batch's statistics) against central finite differences, for the layers with
 * parameters: a 3×3 conv of stride 2 with padding 1 (padded explicitly, then VALID), batch norm
 * after it (γ, β; statistics over batch, height and width), a depthwise 3×3 conv of stride 2 with
 * padding 1 (run as a block-diagonal conv), dense layers, and batch norm after a dense layer
 * (statistics over the batch). The graphs have no ReLU, so the loss is smooth in every parameter
 * and a central difference has no kink to straddle. Two graphs, because a batch norm cancels every
 * parameter before it that shifts all samples alike (a bias, β, a bias behind linear layers).
 *
 * <p>Each difference {@code (L(θ+h) − L(θ−h)) / 2h} is taken in double from two float32 losses.
 * Error budget at {@code h = 1e-2}: the loss (about 1.1) is rounded to float32 (ulp 1.2e-7) after a
 * few dozen float32 operations per path; a generous 1e-6 error on each loss gives 1e-6 / 2h = 5e-5
 * on the difference. The truncation error is {@code h²/6 · L'''}, with third derivatives of order 1
 * for these unit-scale weights and batch-normalised activations: about 2e-5. Measured: at most
 * 4.2e-5 (a conv kernel entry whose gradient is −0.84). The tolerance, {@code 5e-4 + 1 %} of the
 * gradient, is ten times that, and far below the gradients checked (most asserted to be at least
 * 1e-2 in size, so that agreement is not a comparison of two zeros).
 */
class LayerGradientTest {
  private static final int BATCH = 4;
  private static final int SIZE = 6;
  private static final int CHANNELS = 2;
  private static final int CLASSES = 3;
  private static final double H = 1e-2;
  private static final double ABS_TOL = 5e-4;
  private static final double REL_TOL = 1e-2;

  /** conv 3×3/2 pad 1: 6×6×2 → 3×3×3; batch norm; depthwise 3×3/2 pad 1: → 2×2×3; flatten; 3. */
  static final ModelSpec CONV =
      ModelSpec.graph(
          List.of(
              LayerSpec.conv("conv", 3, 3, 2, 1),
              LayerSpec.of("batchNorm"),
              LayerSpec.depthwise("dw", 3, 2),
              LayerSpec.of("flatten"),
              LayerSpec.of("dense")),
          SIZE,
          SIZE,
          CHANNELS,
          CLASSES);

  /** flatten 72; dense 4; batch norm; dense 3. */
  static final ModelSpec DENSE =
      ModelSpec.graph(
          List.of(
              LayerSpec.of("flatten"),
              LayerSpec.dense(4),
              LayerSpec.of("batchNorm"),
              LayerSpec.of("dense")),
          SIZE,
          SIZE,
          CHANNELS,
          CLASSES);

  /** A float graph that trains, its parameters, and one batch. */
  private static final class Fixture implements AutoCloseable {
    final ModelGraph graph;
    final ModelState state;
    final TFloat32 images;
    final TFloat32 labels;

    Fixture(ModelSpec spec, long seed) {
      SplittableRandom random = new SplittableRandom(seed);
      // He-normal kernels; biases, γ and β away from their initial 0 and 1 so none is special.
      ModelState s = ModelInit.initialState(spec, seed);
      for (LayerShape l : spec.graph().layers()) {
        s = randomized(s, l.name(ModelGraph.BIAS), random, 0.0, 0.3);
        if (l.batchNorm()) {
          s = randomized(s, l.name(ModelGraph.BN_GAMMA), random, 1.0, 0.3);
          s = randomized(s, l.name(ModelGraph.BN_BETA), random, 0.0, 0.3);
        }
      }
      state = s;
      float[] pixels = new float[BATCH * SIZE * SIZE * CHANNELS];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = (float) random.nextDouble();
      }
      float[] oneHot = new float[BATCH * CLASSES];
      for (int i = 0; i < BATCH; i++) {
        oneHot[i * CLASSES + random.nextInt(CLASSES)] = 1f;
      }
      Shape shape =
          spec.graph().flatInput()
              ? Shape.of(BATCH, SIZE * SIZE * CHANNELS)
              : Shape.of(BATCH, SIZE, SIZE, CHANNELS);
      images = TFloat32.tensorOf(shape, DataBuffers.of(pixels, true, false));
      labels = TFloat32.tensorOf(Shape.of(BATCH, CLASSES), DataBuffers.of(oneHot, true, false));
      graph =
          ModelGraph.build(
              new ModelGraph.Config(spec, null, Trainable.WEIGHTS, OptimizerKind.ADAM, 0f, false),
              state);
    }

    /** The training loss with entry {@code index} of {@code name} moved by {@code delta}. */
    double lossWith(String name, int index, double delta) {
      float[] v = state.floats(name).clone();
      v[index] = (float) (v[index] + delta);
      graph.load(state.with(name, state.tensor(name).shape(), v));
      return graph.lossAndGradients(images, labels, List.of()).get(0)[0];
    }

    /**
     * Compares TF's gradient of {@code name} at {@code indices} with central differences; returns
     * the TF gradients checked.
     */
    double[] check(String name, int... indices) {
      graph.load(state);
      float[] tf = graph.lossAndGradients(images, labels, List.of(name)).get(1);
      assertThat(tf).hasSize(state.floats(name).length);
      double[] checked = new double[indices.length];
      for (int k = 0; k < indices.length; k++) {
        int i = indices[k];
        double fd = (lossWith(name, i, H) - lossWith(name, i, -H)) / (2 * H);
        assertThat(Math.abs(tf[i] - fd))
            .as("%s[%d]: TF %s, central difference %s", name, i, tf[i], fd)
            .isLessThanOrEqualTo(ABS_TOL + REL_TOL * Math.abs(fd));
        checked[k] = tf[i];
      }
      graph.load(state);
      return checked;
    }

    @Override
    public void close() {
      graph.close();
      images.close();
      labels.close();
    }
  }

  private static Fixture conv;
  private static Fixture dense;

  @BeforeAll
  static void build() {
    conv = new Fixture(CONV, 15);
    dense = new Fixture(DENSE, 16);
  }

  @AfterAll
  static void close() {
    for (Fixture f : new Fixture[] {conv, dense}) {
      if (f != null) {
        f.close();
      }
    }
  }

  private static ModelState randomized(
      ModelState s, String name, SplittableRandom random, double mean, double halfWidth) {
    float[] v = s.floats(name).clone();
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (mean + halfWidth * (2 * random.nextDouble() - 1));
    }
    return s.with(name, s.tensor(name).shape(), v);
  }

  /** Asserts that most gradients checked are well above the tolerance (not zeros agreeing). */
  private static void assertMostlyLarge(double[] gradients) {
    List<Double> large = new ArrayList<>();
    for (double g : gradients) {
      if (Math.abs(g) >= 1e-2) {
        large.add(g);
      }
    }
    assertThat(large.size()).as("gradients of size >= 1e-2").isGreaterThan(gradients.length / 2);
  }

  @Test
  void shapesAreTheOnesUnderTest() {
    List<LayerShape> layers = CONV.graph().layers();
    assertThat(layers.get(0).stride()).isEqualTo(2);
    assertThat(layers.get(0).padding()).isEqualTo(1);
    assertThat(layers.get(0).batchNorm()).isTrue();
    assertThat(layers.get(1).depthwise()).isTrue();
    assertThat(layers.get(1).kernelShape()).containsExactly(3, 3, 1, 3);
    assertThat(layers.get(1).outHeight()).isEqualTo(2);
    assertThat(DENSE.graph().layers().get(0).batchNorm()).isTrue();
  }

  @Test
  void strideTwoPaddedConvKernelGradientMatchesFiniteDifferences() {
    // [3, 3, 2, 3]: corner taps (0, 0) and (2, 2) meet the padding of a stride-2 window.
    assertMostlyLarge(conv.check("layer0.kernel", 0, 1, 5, 17, 27, 40, 53));
  }

  @Test
  void convBatchNormScaleAndOffsetGradientsMatchFiniteDifferences() {
    assertMostlyLarge(conv.check("layer0.bn_gamma", 0, 1, 2));
    assertMostlyLarge(conv.check("layer0.bn_beta", 0, 1, 2));
  }

  @Test
  void biasBeforeBatchNormHasNoGradient() {
    // Training batch norm subtracts the batch mean: a bias before it cancels out exactly.
    for (double g : conv.check("layer0.bias", 0, 1, 2)) {
      assertThat(Math.abs(g)).isLessThan(1e-5);
    }
  }

  @Test
  void depthwiseKernelAndBiasGradientsMatchFiniteDifferences() {
    // [3, 3, 1, 3]: entry i belongs to channel i % 3; every channel and tap row is hit.
    assertMostlyLarge(conv.check("layer1.kernel", 0, 4, 8, 10, 13, 20, 26));
    assertMostlyLarge(conv.check("layer1.bias", 0, 1, 2));
  }

  @Test
  void denseGradientsMatchFiniteDifferences() {
    assertMostlyLarge(conv.check("layer2.kernel", 0, 5, 22, 35));
    assertMostlyLarge(conv.check("layer2.bias", 0, 1, 2));
    assertMostlyLarge(dense.check("layer0.kernel", 0, 71, 150, 287));
    assertMostlyLarge(dense.check("layer1.kernel", 0, 4, 7, 11));
  }

  @Test
  void denseBatchNormScaleAndOffsetGradientsMatchFiniteDifferences() {
    assertMostlyLarge(dense.check("layer0.bn_gamma", 0, 1, 2, 3));
    assertMostlyLarge(dense.check("layer0.bn_beta", 0, 1, 2, 3));
  }
}
