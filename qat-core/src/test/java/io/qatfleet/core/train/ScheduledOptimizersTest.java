package io.qatfleet.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.framework.optimizers.Optimizer.GradAndVar;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The first steps of the scheduled optimizers against their update rules computed here in double
 * precision, on the loss {@code L(w) = Σ c_i·w_i² + d_i·w_i} whose gradient {@code 2c_i·w_i + d_i}
 * is known in closed form. Every step feeds its own learning rate through the placeholder (the
 * graph's default rate is 1e-3 and is never used), as a schedule does.
 *
 * <p>Adam is checked against a hand-computed update (Kingma and Ba, 2015, Algorithm 1: moments
 * {@code m}, {@code v}, bias correction by {@code 1−β^t}), not against tensorflow-framework's own
 * Adam: in TF Java 1.1.0 that one groups its beta-power updates with the ApplyAdam ops without
 * ordering them, so which power a step reads depends on scheduling. TensorFlow's ApplyAdam adds ε
 * to {@code sqrt(v)} before the bias correction, i.e. uses {@code ε/sqrt(1−β2^t)} in Algorithm 1's
 * terms: at most 3.2e-6 here against {@code sqrt(v̂) > 0.7}, which moves a step of at most 0.02 by
 * less than 1e-7.
 */
class ScheduledOptimizersTest {
  private static final float[] W0 = {0.5f, -1.5f, 2f};
  private static final double[] C = {0.5, 2, 1};
  private static final double[] D = {0.3, -1, 0.2};
  private static final float[] RATES = {0.01f, 0.005f, 0.02f, 0.0025f};
  private static final float TOLERANCE = 1e-6f;

  private Graph graph;
  private Session session;
  private Ops tf;
  private Variable<TFloat32> w;
  private Operand<TFloat32> loss;

  @BeforeEach
  void open() {
    graph = new Graph();
    tf = Ops.create(graph);
    w = tf.withName("w").variable(tf.constant(W0));
    Operand<TFloat32> c = tf.constant(toFloats(C));
    Operand<TFloat32> d = tf.constant(toFloats(D));
    // Mul, not Square: the C++ gradient of Square crashes on variable inputs in TF 2.18.
    loss =
        tf.reduceSum(
            tf.math.add(tf.math.mul(c, tf.math.mul(w, w)), tf.math.mul(d, w)),
            tf.constant(new int[] {0}));
  }

  @AfterEach
  void close() {
    if (session != null) {
      session.close();
    }
    graph.close();
  }

  @Test
  void adamStepsMatchHandComputedAdam() {
    List<float[]> steps = train(OptimizerKind.ADAM, 0f);
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-7;
    double[] x = toDoubles(W0);
    double[] m = new double[x.length];
    double[] v = new double[x.length];
    for (int t = 1; t <= RATES.length; t++) {
      for (int i = 0; i < x.length; i++) {
        double g = 2 * C[i] * x[i] + D[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        double mHat = m[i] / (1 - Math.pow(beta1, t));
        double vHat = v[i] / (1 - Math.pow(beta2, t));
        x[i] -= RATES[t - 1] * mHat / (Math.sqrt(vHat) + epsilon);
      }
      assertThat(steps.get(t - 1)).as("step %d", t).containsExactly(toFloats(x), within(TOLERANCE));
    }
  }

  @Test
  void adamFirstStepMovesEachWeightByTheLearningRate() {
    // At t = 1, m̂ = g and v̂ = g², so the step is lr·g/(|g| + ε) = lr·sign(g) up to ε/|g|:
    // g = (0.8, -7, 4.2) at w0, so w1 = w0 − 0.01·(1, −1, 1).
    float[] first = train(OptimizerKind.ADAM, 0f).get(0);
    assertThat(first).containsExactly(new float[] {0.49f, -1.49f, 1.99f}, within(TOLERANCE));
  }

  @Test
  void momentumStepsMatchHeavyBallUpdate() {
    float momentum = 0.9f;
    List<float[]> steps = train(OptimizerKind.SGD_MOMENTUM, momentum);
    double[] x = toDoubles(W0);
    double[] accumulator = new double[x.length];
    for (int t = 1; t <= RATES.length; t++) {
      for (int i = 0; i < x.length; i++) {
        double g = 2 * C[i] * x[i] + D[i];
        accumulator[i] = momentum * accumulator[i] + g;
        x[i] -= RATES[t - 1] * accumulator[i];
      }
      assertThat(steps.get(t - 1)).as("step %d", t).containsExactly(toFloats(x), within(TOLERANCE));
    }
  }

  /** Runs one step per entry of {@link #RATES}, feeding it, and returns w after each. */
  private List<float[]> train(OptimizerKind kind, float momentum) {
    ScheduledOptimizers.Scheduled optimizer =
        ScheduledOptimizers.create(kind, graph, 1e-3f, momentum);
    Output<?>[] gradient = graph.addGradients(loss.asOutput(), new Output<?>[] {w.asOutput()});
    Op step =
        optimizer.applyGradients(
            List.of(new GradAndVar<>(gradient[0].expect(TFloat32.class), w.asOutput())), "train");
    session = new Session(graph);
    session.initialize();
    List<float[]> out = new ArrayList<>();
    for (float rate : RATES) {
      try (TFloat32 lr = TFloat32.scalarOf(rate)) {
        session.runner().feed(optimizer.learningRate(), lr).addTarget(step).run().close();
      }
      try (Result result = session.runner().fetch(w).run()) {
        TFloat32 t = (TFloat32) result.get(0);
        float[] values = new float[(int) t.size()];
        for (int i = 0; i < values.length; i++) {
          values[i] = t.getFloat(i);
        }
        out.add(values);
      }
    }
    return out;
  }

  private static float[] toFloats(double[] v) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (float) v[i];
    }
    return out;
  }

  private static double[] toDoubles(float[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }
}
