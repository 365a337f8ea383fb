package io.qatfleet.core.train;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Knowledge distillation from the job's float model during QAT (Hinton, Vinyals and Dean,
 * "Distilling the Knowledge in a Neural Network", 2015): the student (the fake-quantized model)
 * learns from the labels and from the teacher's (the float baseline's) softened class
 * probabilities,
 *
 * <pre>loss = α·CE(labels, student) + (1−α)·T²·KL(softmax(teacher/T) ‖ softmax(student/T))</pre>
 *
 * The factor {@code T²} keeps the soft term's gradient, {@code T·(softmax(student/T) −
 * softmax(teacher/T))} per logit, on the scale of the hard term's as {@code T} grows.
 *
 * @param alpha weight of the cross-entropy with the labels, in [0, 1] ({@value #DEFAULT_ALPHA} when
 *     absent)
 * @param temperature softening of both distributions, finite and &gt; 0 ({@value
 *     #DEFAULT_TEMPERATURE} when absent)
 */
public record Distillation(Double alpha, Double temperature) {
  /**
   * Mostly the labels, a little of the teacher: on the Fashion-MNIST CNN at W2A2 (1 and 3 QAT
   * epochs, seeds 42 and 7) α 0.9, T 2 trained as well as no distillation (within 0.3 points),
   * while Hinton's α 0.5, T 4 lost 0.9 to 1.6 points against it.
   */
  public static final double DEFAULT_ALPHA = 0.9;

  public static final double DEFAULT_TEMPERATURE = 2.0;

  /** Above this the soft targets are practically uniform; a larger value is a mistake. */
  public static final double MAX_TEMPERATURE = 100.0;

  public Distillation {
    alpha = alpha == null ? DEFAULT_ALPHA : alpha;
    temperature = temperature == null ? DEFAULT_TEMPERATURE : temperature;
  }

  /** Every problem, each naming {@code prefix}.field and the bad value; empty when valid. */
  public List<String> violations(String prefix) {
    List<String> out = new ArrayList<>();
    if (!(alpha >= 0 && alpha <= 1)) {
      out.add(prefix + ".alpha: must be in [0, 1], got " + alpha);
    }
    if (!(temperature > 0 && temperature <= MAX_TEMPERATURE)) {
      out.add(prefix + ".temperature: must be in (0, " + MAX_TEMPERATURE + "], got " + temperature);
    }
    return out;
  }

  /**
   * The distillation loss of a batch, averaged over its samples. The KL term is written as the
   * cross-entropy of the student's softened logits against the teacher's soft targets minus the
   * teacher's entropy: TensorFlow has a gradient for {@code SoftmaxCrossEntropyWithLogits} with
   * soft labels, and the entropy, constant for the student, makes the value the KL divergence
   * itself. No gradient flows into the teacher.
   *
   * @param labels one-hot, shaped as the logits
   */
  public Operand<TFloat32> loss(
      Ops tf,
      Operand<TFloat32> studentLogits,
      Operand<TFloat32> teacherLogits,
      Operand<TFloat32> labels) {
    Operand<TFloat32> t = tf.constant(temperature.floatValue());
    Operand<TFloat32> teacherSoft = tf.stopGradient(tf.math.div(teacherLogits, t));
    Operand<TFloat32> targets = tf.stopGradient(tf.nn.softmax(teacherSoft));
    Operand<TFloat32> crossSoft =
        tf.nn.softmaxCrossEntropyWithLogits(tf.math.div(studentLogits, t), targets).loss();
    Operand<TFloat32> teacherEntropy =
        tf.stopGradient(tf.nn.softmaxCrossEntropyWithLogits(teacherSoft, targets).loss());
    Operand<TFloat32> kl = tf.math.sub(crossSoft, teacherEntropy);
    Operand<TFloat32> hard = tf.nn.softmaxCrossEntropyWithLogits(studentLogits, labels).loss();
    float a = alpha.floatValue();
    float soft = (float) ((1 - alpha) * temperature * temperature);
    Operand<TFloat32> perSample =
        tf.math.add(tf.math.mul(tf.constant(a), hard), tf.math.mul(tf.constant(soft), kl));
    return tf.math.mean(perSample, tf.constant(0));
  }
}
