package io.qatfleet.core.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * Gradients of the fake quantizers, built by TensorFlow's gradient builder from their registered
 * gradients ({@link FakeQuantGradients}), against their closed forms computed here by hand. The
 * loss is {@code sum(u ⊙ x̂)} with a known upstream gradient {@code u}.
 */
class FakeQuantGradientTest {
  private static final QuantSpec W4 = QuantSpec.weights(4, Granularity.PER_TENSOR); // [-7, 7]
  private static final QuantSpec A4 = QuantSpec.unsignedActivations(4); // [0, 15]

  private Graph graph;
  private Session session;
  private Ops tf;

  @BeforeEach
  void open() {
    graph = new Graph();
    session = new Session(graph);
    tf = Ops.create(graph);
  }

  @AfterEach
  void close() {
    session.close();
    graph.close();
  }

  /** Runs {@code fetches} and returns each as a float array. */
  private float[][] run(Operand<?>... fetches) {
    Session.Runner runner = session.runner();
    for (Operand<?> f : fetches) {
      runner.fetch(f);
    }
    try (Result r = runner.run()) {
      float[][] out = new float[fetches.length][];
      for (int i = 0; i < fetches.length; i++) {
        TFloat32 t = (TFloat32) r.get(i);
        out[i] = new float[(int) t.size()];
        for (int k = 0; k < out[i].length; k++) {
          out[i][k] = t.shape().numDimensions() == 0 ? t.getFloat() : t.getFloat(k);
        }
      }
      return out;
    }
  }

  private Output<?>[] gradients(Operand<TFloat32> xq, float[] upstream, Operand<?>... wrt) {
    Operand<TFloat32> loss =
        tf.reduceSum(tf.math.mul(xq, tf.constant(upstream)), tf.constant(new int[] {0}));
    Output<?>[] targets = new Output<?>[wrt.length];
    for (int i = 0; i < wrt.length; i++) {
      targets[i] = wrt[i].asOutput();
    }
    return graph.addGradients(loss.asOutput(), targets);
  }

  @Test
  void steGradientEqualsUpstreamInsideRangeAndZeroOutside() {
    // s = 0.5 and [-7, 7] clip at ±3.5: 4.0 and -9.0 lie outside.
    Variable<TFloat32> x = tf.variable(tf.constant(new float[] {0.3f, -1.2f, 3.4f, 4.0f, -9f}));
    float[] upstream = {1.5f, -2f, 0.25f, 3f, 7f};
    Operand<TFloat32> xq = FakeQuant.ste(tf, x, tf.constant(0.5f), W4);
    Output<?>[] g = gradients(xq, upstream, x);
    float[][] r = run(xq, g[0]);
    assertThat(r[0]).containsExactly(0.5f, -1.0f, 3.5f, 3.5f, -3.5f);
    assertThat(r[1]).containsExactly(1.5f, -2f, 0.25f, 0f, 0f);
  }

  @Test
  void lsqStepSizeGradientMatchesClosedForm() {
    float s = 0.4f;
    float g = 0.125f;
    float[] xs = {0.3f, -1.1f, 2.65f, 5f, -4f, 0.0f};
    float[] u = {1f, 2f, -1f, 0.5f, 3f, 1f};
    Variable<TFloat32> x = tf.variable(tf.constant(xs));
    Variable<TFloat32> scale = tf.variable(tf.constant(s));
    Operand<TFloat32> xq = FakeQuant.lsq(tf, x, scale, W4, g);
    Output<?>[] grads = gradients(xq, u, scale, x);
    float[][] r = run(xq, grads[0], grads[1]);

    // Closed form (Esser et al., eq. 3): per element, -x/s + round(x/s) inside [-Qn, Qp],
    // -Qn below, Qp above; summed with the upstream weights and scaled by g.
    double expected = 0;
    float[] expectedDx = new float[xs.length];
    for (int i = 0; i < xs.length; i++) {
      double v = xs[i] / s;
      double d;
      if (v <= -7) {
        d = -7;
      } else if (v >= 7) {
        d = 7;
      } else {
        d = Math.rint(v) - v;
        expectedDx[i] = u[i];
      }
      expected += u[i] * d;
    }
    assertThat(r[1][0]).isCloseTo((float) (g * expected), within(1e-5f));
    assertThat(r[2]).containsExactly(expectedDx);
    // Forward: s·clamp(round(x/s)): 0.3→0.4, -1.1→-1.2, 2.65→2.8, 5→2.8, -4→-2.8, 0→0.
    assertThat(r[0])
        .containsExactly(new float[] {0.4f, -1.2f, 2.8f, 2.8f, -2.8f, 0f}, within(1e-6f));
  }

  @Test
  void lsqPerChannelStepGradientsMatchClosedFormPerChannel() {
    // A [3, 2] matrix, channels last, steps 0.5 and 0.25: channel 0 holds 1.2 (inside), -4.1
    // (below -3.5), 2.2 (inside); channel 1 holds 0.3, 2.0 (above 1.75), -0.6.
    float[][] w = {{1.2f, 0.3f}, {-4.1f, 2.0f}, {2.2f, -0.6f}};
    float[][] u = {{1f, -2f}, {0.5f, 3f}, {-1.5f, 0.25f}};
    float[] steps = {0.5f, 0.25f};
    float g = 0.1f;
    Variable<TFloat32> x = tf.variable(tf.constant(w));
    Variable<TFloat32> scale = tf.variable(tf.constant(steps));
    QuantSpec spec = QuantSpec.weights(4, Granularity.PER_CHANNEL);
    Operand<TFloat32> xq = FakeQuant.lsq(tf, x, scale, spec, g);
    Operand<TFloat32> loss =
        tf.reduceSum(tf.math.mul(xq, tf.constant(u)), tf.constant(new int[] {0, 1}));
    Output<?>[] grads =
        graph.addGradients(loss.asOutput(), new Output<?>[] {scale.asOutput(), x.asOutput()});
    float[][] r =
        run(
            tf.reshape(xq, tf.constant(new int[] {-1})),
            grads[0],
            tf.reshape((Operand<?>) grads[1], tf.constant(new int[] {-1})));

    float[] expectedDs = new float[2];
    float[] expectedDx = new float[6];
    float[] expectedXq = new float[6];
    for (int c = 0; c < 2; c++) {
      double sum = 0;
      for (int i = 0; i < 3; i++) {
        double v = w[i][c] / steps[c];
        double level = Math.max(-7, Math.min(7, Math.rint(v)));
        expectedXq[i * 2 + c] = (float) (level * steps[c]);
        if (v <= -7 || v >= 7) {
          sum += u[i][c] * level;
        } else {
          sum += u[i][c] * (level - v);
          expectedDx[i * 2 + c] = u[i][c];
        }
      }
      expectedDs[c] = (float) (g * sum);
    }
    assertThat(r[0]).containsExactly(expectedXq, within(1e-6f));
    assertThat(r[1]).containsExactly(expectedDs, within(1e-5f));
    assertThat(r[2]).containsExactly(expectedDx);
  }

  /**
   * The three shapes of grid the hand-written gradient builds its inside mask for: symmetric (W4:
   * [-7, 7]), unsigned (A4: [0, 15], 0 itself counts as the lower edge) and neither (W1: [-1, 0]).
   * Closed form of Esser et al., eq. 3, with the range's edges counted outside.
   */
  @ParameterizedTest
  @ValueSource(strings = {"W4", "A4", "W1"})
  void lsqGradientsMatchClosedFormOnEveryKindOfGrid(String grid) {
    QuantSpec spec =
        switch (grid) {
          case "W4" -> W4;
          case "A4" -> A4;
          default -> QuantSpec.weights(1, Granularity.PER_TENSOR);
        };
    float s = 0.25f;
    // v = x/s: 0, 0.4, 1.48, -0.6, 3.2, 17.2, -8.8, 7.2. Not exactly on W4's edge ±7: the graph
    // computes x·(1/s), which may be an ulp off x/s (see FakeQuantGradients).
    float[] xs = {0f, 0.1f, 0.37f, -0.15f, 0.8f, 4.3f, -2.2f, 1.8f};
    float[] u = {1f, -2f, 0.5f, 3f, -1f, 2f, 0.25f, 1.5f};
    float g = 0.5f;
    Variable<TFloat32> x = tf.variable(tf.constant(xs));
    Variable<TFloat32> scale = tf.variable(tf.constant(s));
    Operand<TFloat32> xq = FakeQuant.lsq(tf, x, scale, spec, g);
    Output<?>[] grads = gradients(xq, u, scale, x);
    float[][] r = run(xq, grads[0], grads[1]);

    double expectedDs = 0;
    float[] expectedDx = new float[xs.length];
    float[] expectedXq = new float[xs.length];
    for (int i = 0; i < xs.length; i++) {
      double v = xs[i] / s;
      double level = Math.max(spec.qmin(), Math.min(spec.qmax(), Math.rint(v)));
      expectedXq[i] = (float) (level * s);
      if (v > spec.qmin() && v < spec.qmax()) {
        expectedDs += u[i] * (level - v);
        expectedDx[i] = u[i];
      } else {
        expectedDs += u[i] * level;
      }
    }
    assertThat(r[0]).containsExactly(expectedXq, within(1e-6f));
    // within(0): the mask's zeros may be -0 where the upstream gradient is negative.
    assertThat(r[2]).containsExactly(expectedDx, within(0f));
    assertThat(r[1][0]).isCloseTo((float) (g * expectedDs), within(1e-5f));
  }

  @Test
  void identityNOutsideTheQuantizersPassesGradientsThrough() {
    // The quantizers register IdentityN's gradient for the process; other IdentityN ops keep
    // IdentityN's own gradient, the identity.
    FakeQuant.lsq(tf, tf.constant(new float[] {1f}), tf.constant(0.5f), W4, 1f);
    Variable<TFloat32> x = tf.variable(tf.constant(new float[] {1f, -2f, 3f}));
    @SuppressWarnings("unchecked")
    Operand<TFloat32> y = (Operand<TFloat32>) tf.identityN(java.util.List.of(x)).output().get(0);
    Output<?>[] g = gradients(tf.math.mul(y, y), new float[] {1f, 1f, 1f}, x);
    assertThat(run(g[0])[0]).containsExactly(2f, -4f, 6f);
  }

  @Test
  void lsqStepSizeGradientMatchesFiniteDifferenceOfTheDeterministicPart() {
    // Away from rounding boundaries round(x/s) is locally constant, so d x̂/ds = round(x/s)
    // inside the range: a central difference of s·round(x/s) confirms the autodiff result.
    float s = 0.3f;
    float[] xs = {0.31f, -0.92f, 1.49f};
    Variable<TFloat32> x = tf.variable(tf.constant(xs));
    Variable<TFloat32> scale = tf.variable(tf.constant(s));
    Operand<TFloat32> xq = FakeQuant.lsq(tf, x, scale, W4, 1f);
    Output<?>[] grads = gradients(xq, new float[] {1f, 1f, 1f}, scale);
    float[][] r = run(grads[0]);
    double h = 1e-4;
    double numeric = 0;
    for (float xi : xs) {
      double plus = (s + h) * Math.rint(xi / (s + h));
      double minus = (s - h) * Math.rint(xi / (s - h));
      numeric += (plus - minus) / (2 * h);
    }
    double ste = 0;
    for (float xi : xs) {
      ste += -xi / s;
    }
    // LSQ's gradient = finite-difference part + the STE term -x/s.
    assertThat((double) r[0][0]).isCloseTo(numeric + ste, within(1e-4));
  }

  @Test
  void pactAlphaGradientCountsElementsAboveAlpha() {
    float alpha = 2f;
    float[] xs = {0f, 0.7f, 1.9f, 2.5f, 3f, 10f};
    Variable<TFloat32> x = tf.variable(tf.constant(xs));
    Variable<TFloat32> a = tf.variable(tf.constant(alpha));
    Operand<TFloat32> xq = FakeQuant.pact(tf, x, a, A4);
    Output<?>[] grads = gradients(xq, new float[] {1, 1, 1, 1, 1, 1}, a, x);
    float[][] r = run(xq, grads[0], grads[1]);
    assertThat(r[1][0]).isEqualTo(3f); // 2.5, 3, 10 exceed alpha
    assertThat(r[2]).containsExactly(1f, 1f, 1f, 0f, 0f, 0f);
    // step 2/15: 0.7 → round(5.25)=5 → 0.6667; 1.9 → round(14.25)=14 → 1.8667; clipped → 2.
    assertThat(r[0])
        .containsExactly(new float[] {0f, 5 * 2f / 15, 14 * 2f / 15, 2f, 2f, 2f}, within(1e-6f));
  }

  @Test
  void perChannelScalesApplyPerOutputChannel() {
    // A [2, 3] matrix, channels last: channel c uses step scales[c].
    Variable<TFloat32> w =
        tf.variable(tf.constant(new float[][] {{0.26f, 0.26f, 0.26f}, {-1f, -1f, -1f}}));
    Operand<TFloat32> scales = tf.constant(new float[] {0.1f, 0.2f, 0.5f});
    QuantSpec spec = QuantSpec.weights(4, Granularity.PER_CHANNEL);
    Operand<TFloat32> wq = FakeQuant.ste(tf, w, scales, spec);
    Session.Runner runner = session.runner().fetch(wq);
    try (Result r = runner.run()) {
      TFloat32 t = (TFloat32) r.get(0);
      // 0.26: /0.1 → 3 → 0.3; /0.2 → 1.3 → 1 → 0.2; /0.5 → 0.52 → 1 → 0.5
      assertThat(t.getFloat(0, 0)).isCloseTo(0.3f, within(1e-6f));
      assertThat(t.getFloat(0, 1)).isCloseTo(0.2f, within(1e-6f));
      assertThat(t.getFloat(0, 2)).isCloseTo(0.5f, within(1e-6f));
      // -1: /0.1 → -10 clamps to -7 → -0.7; /0.2 → -5 → -1.0; /0.5 → -2 → -1.0
      assertThat(t.getFloat(1, 0)).isCloseTo(-0.7f, within(1e-6f));
      assertThat(t.getFloat(1, 1)).isCloseTo(-1.0f, within(1e-6f));
      assertThat(t.getFloat(1, 2)).isCloseTo(-1.0f, within(1e-6f));
    }
  }

  @Test
  void lsqGradScaleFollowsThePaper() {
    // g = 1/sqrt(N·Qp): 288 weights at 4 bits (Qp = 7) → 1/sqrt(2016).
    assertThat(FakeQuant.lsqGradScale(288, 7))
        .isCloseTo((float) (1 / Math.sqrt(2016)), within(1e-9f));
  }
}
