package io.qatfleet.core.train;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.PlaceholderWithDefault;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/**
 * Adam and SGD with momentum on tensorflow-framework's {@link
 * org.tensorflow.framework.optimizers.Optimizer} (its slot handling and update grouping) and TF's
 * own ApplyAdam / ApplyMomentum kernels. They exist because the framework's optimizers bake the
 * learning rate into the graph as a constant in TF Java 1.1.0; here it is a scalar placeholder fed
 * at every step, which is what a learning-rate schedule needs.
 */
public final class ScheduledOptimizers {
  private ScheduledOptimizers() {}

  /** An optimizer whose learning rate is fed through {@link #learningRate()}. */
  public abstract static class Scheduled extends org.tensorflow.framework.optimizers.Optimizer {
    private final PlaceholderWithDefault<TFloat32> learningRate;

    Scheduled(Graph graph, float initialRate) {
      super(graph);
      this.learningRate =
          Ops.create(graph)
              .withName(getOptimizerName() + "-learning_rate")
              .placeholderWithDefault(Ops.create(graph).constant(initialRate), Shape.scalar());
    }

    /** The placeholder to feed each step's learning rate to. */
    public Operand<TFloat32> learningRate() {
      return learningRate;
    }

    @SuppressWarnings("unchecked")
    <T extends TType> Operand<T> rate(Ops tf, Output<T> like) {
      return (Operand<T>) tf.dtypes.cast(learningRate, like.type());
    }
  }

  /**
   * Zeros of the variable's static shape: reading the variable itself (zerosLike, shape) in a slot
   * initializer could run before the variable holds a value.
   */
  static <T extends TType> Operand<T> zeros(Ops tf, Output<T> like) {
    return tf.zeros(tf.constant(like.shape().asArray()), like.type());
  }

  public static Scheduled create(
      OptimizerKind kind, Graph graph, float initialRate, float momentum) {
    return switch (kind) {
      case ADAM -> new Adam(graph, initialRate);
      case SGD_MOMENTUM -> new Momentum(graph, initialRate, momentum);
    };
  }

  /** Adam (Kingma and Ba, 2015) with beta1 0.9, beta2 0.999, epsilon 1e-7 (Keras defaults). */
  static final class Adam extends Scheduled {
    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPSILON = 1e-7f;
    private Variable<TFloat32> beta1Power;
    private Variable<TFloat32> beta2Power;

    Adam(Graph graph, float initialRate) {
      super(graph, initialRate);
    }

    @Override
    protected void createSlots(List<Output<? extends TType>> variables) {
      for (Output<? extends TType> v : variables) {
        zeroSlot(v, "m");
        zeroSlot(v, "v");
      }
      beta1Power = tf.withName("beta1_power").variable(tf.constant(BETA1));
      beta2Power = tf.withName("beta2_power").variable(tf.constant(BETA2));
    }

    private <T extends TType> void zeroSlot(Output<T> v, String name) {
      createSlot(v, name, zeros(tf, v));
    }

    @Override
    @SuppressWarnings("unchecked")
    protected <T extends TType> Op applyDense(Ops ops, Output<T> gradient, Output<T> variable) {
      Operand<T> b1p = (Operand<T>) beta1Power;
      Operand<T> b2p = (Operand<T>) beta2Power;
      return ops.train.applyAdam(
          variable,
          getSlot(variable, "m").get(),
          getSlot(variable, "v").get(),
          b1p,
          b2p,
          rate(ops, variable),
          (Operand<T>) ops.constant(BETA1),
          (Operand<T>) ops.constant(BETA2),
          (Operand<T>) ops.constant(EPSILON),
          gradient);
    }

    /** Advances the bias-correction powers only after every ApplyAdam has read them. */
    @Override
    protected Op finish(List<Op> updates, String name) {
      Op applied = super.finish(updates, name + "-apply");
      Ops after = tf.withControlDependencies(applied);
      Op advance1 = after.assign(beta1Power, after.math.mul(beta1Power, after.constant(BETA1)));
      Op advance2 = after.assign(beta2Power, after.math.mul(beta2Power, after.constant(BETA2)));
      return tf.withName(name).withControlDependencies(advance1, advance2).noOp();
    }

    @Override
    public String getOptimizerName() {
      return "Adam";
    }
  }

  /** SGD with (heavy-ball) momentum. */
  static final class Momentum extends Scheduled {
    private final float momentum;

    Momentum(Graph graph, float initialRate, float momentum) {
      super(graph, initialRate);
      this.momentum = momentum;
    }

    @Override
    protected void createSlots(List<Output<? extends TType>> variables) {
      for (Output<? extends TType> v : variables) {
        accumulator(v);
      }
    }

    private <T extends TType> void accumulator(Output<T> v) {
      createSlot(v, "momentum", zeros(tf, v));
    }

    @Override
    @SuppressWarnings("unchecked")
    protected <T extends TType> Op applyDense(Ops ops, Output<T> gradient, Output<T> variable) {
      return ops.train.applyMomentum(
          variable,
          getSlot(variable, "momentum").get(),
          rate(ops, variable),
          gradient,
          (Operand<T>) ops.constant(momentum));
    }

    @Override
    public String getOptimizerName() {
      return "Momentum";
    }
  }
}
