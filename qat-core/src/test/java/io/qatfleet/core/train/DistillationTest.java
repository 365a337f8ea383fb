package io.qatfleet.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The distillation loss and its gradient, computed by TensorFlow, against the formulas evaluated
 * here in double precision on hand-made logits: two samples, three classes.
 */
class DistillationTest {
  private static final float[][] STUDENT = {{2.0f, -1.0f, 0.5f}, {0.1f, 0.2f, 3.0f}};
  private static final float[][] TEACHER = {{3.0f, 0.0f, -2.0f}, {-1.0f, 1.5f, 2.5f}};
  private static final float[][] LABELS = {{1f, 0f, 0f}, {0f, 0f, 1f}};

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

  private static double[] softmax(float[] z, double t) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : z) {
      max = Math.max(max, v / t);
    }
    double sum = 0;
    double[] p = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      p[i] = Math.exp(z[i] / t - max);
      sum += p[i];
    }
    for (int i = 0; i < z.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /** α·CE + (1−α)·T²·KL(p_t ‖ p_s), averaged over the samples, straight from the definition. */
  private static double closedForm(double alpha, double t) {
    double total = 0;
    for (int n = 0; n < STUDENT.length; n++) {
      double[] p = softmax(STUDENT[n], 1);
      double ce = 0;
      for (int k = 0; k < p.length; k++) {
        ce -= LABELS[n][k] * Math.log(p[k]);
      }
      double[] ps = softmax(STUDENT[n], t);
      double[] pt = softmax(TEACHER[n], t);
      double kl = 0;
      for (int k = 0; k < ps.length; k++) {
        kl += pt[k] * (Math.log(pt[k]) - Math.log(ps[k]));
      }
      total += alpha * ce + (1 - alpha) * t * t * kl;
    }
    return total / STUDENT.length;
  }

  private float run(Operand<TFloat32> scalar) {
    try (Result r = session.runner().fetch(scalar).run()) {
      return ((TFloat32) r.get(0)).getFloat();
    }
  }

  @Test
  void lossEqualsClosedFormAtSeveralAlphasAndTemperatures() {
    double[][] settings = {{0.5, 4.0}, {0.0, 2.0}, {1.0, 3.0}, {0.3, 1.0}};
    for (double[] s : settings) {
      Distillation d = new Distillation(s[0], s[1]);
      Operand<TFloat32> loss =
          d.loss(tf, tf.constant(STUDENT), tf.constant(TEACHER), tf.constant(LABELS));
      assertThat((double) run(loss))
          .as("alpha %s, T %s", s[0], s[1])
          .isCloseTo(closedForm(s[0], s[1]), within(1e-5));
    }
  }

  @Test
  void leavesOnlyWeightedCrossEntropyWhenTeacherEqualsStudent() {
    // KL(p ‖ p) = 0 whatever alpha: a teacher equal to the student leaves only α·CE.
    Distillation d = new Distillation(0.25, 3.0);
    Operand<TFloat32> same =
        d.loss(tf, tf.constant(STUDENT), tf.constant(STUDENT), tf.constant(LABELS));
    Operand<TFloat32> hardOnly =
        new Distillation(1.0, 3.0)
            .loss(tf, tf.constant(STUDENT), tf.constant(TEACHER), tf.constant(LABELS));
    assertThat(run(same)).isCloseTo(0.25f * run(hardOnly), within(1e-6f));
  }

  @Test
  void gradientWithRespectToStudentLogitsMatchesAnalyticForm() {
    double alpha = 0.4;
    double t = 3.0;
    Variable<TFloat32> student = tf.variable(tf.constant(STUDENT));
    Operand<TFloat32> loss =
        new Distillation(alpha, t).loss(tf, student, tf.constant(TEACHER), tf.constant(LABELS));
    Output<?>[] g = graph.addGradients(loss.asOutput(), new Output<?>[] {student.asOutput()});
    session.initialize();
    try (Result r = session.runner().fetch(g[0]).run()) {
      TFloat32 grad = (TFloat32) r.get(0);
      int n = STUDENT.length;
      for (int i = 0; i < n; i++) {
        double[] p = softmax(STUDENT[i], 1);
        double[] ps = softmax(STUDENT[i], t);
        double[] pt = softmax(TEACHER[i], t);
        for (int k = 0; k < p.length; k++) {
          // d/dz [α·CE] = α(p − y); d/dz [(1−α)T²·KL] = (1−α)·T·(p_s − p_t); mean over n samples.
          double expected = (alpha * (p[k] - LABELS[i][k]) + (1 - alpha) * t * (ps[k] - pt[k])) / n;
          assertThat((double) grad.getFloat(i, k))
              .as("sample %d, class %d", i, k)
              .isCloseTo(expected, within(1e-5));
        }
      }
    }
  }

  @Test
  void rejectsAlphaOutsideUnitIntervalAndNonPositiveTemperature() {
    assertThat(new Distillation(1.5, 0.0).violations("training.distillation"))
        .containsExactly(
            "training.distillation.alpha: must be in [0, 1], got 1.5",
            "training.distillation.temperature: must be in (0, 100.0], got 0.0");
    assertThat(new Distillation(Double.NaN, -1.0).violations("d")).hasSize(2);
    assertThat(new Distillation(null, null).violations("d")).isEmpty();
  }
}
