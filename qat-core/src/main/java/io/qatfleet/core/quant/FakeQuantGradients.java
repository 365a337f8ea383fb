package io.qatfleet.core.quant;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.TensorFlow;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.IdentityN;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Fake quantizers whose backward pass is written by hand: the forward value is computed on stopped
 * tensors and handed, with the live inputs, to an {@code IdentityN} op (a router) whose registered
 * gradient is the quantizer's. Autodiff through the forward ops builds a gradient op per forward op
 * (RealDiv's alone takes five passes over the tensor, Minimum's a slow boolean comparison), which
 * made a QAT step of the MLP 1.4-2.4 times its float step; the hand-written gradients take about
 * half the passes, and their masks come from {@code ReluGrad} (float in, float out) rather than
 * boolean comparisons.
 *
 * <p>TensorFlow's C++ gradient registry, which graphs built from Java use, has no gradient for
 * IdentityN. This class registers one that dispatches on the router's name ({@value #LSQ} or
 * {@value #PACT}); any other IdentityN passes its gradients through, which is IdentityN's gradient.
 * The registry is per process and takes one gradient per op type: this class is the one place that
 * registers it, and a TensorFlow build that brings its own IdentityN gradient fails here rather
 * than silently training without the quantizers' step gradients.
 */
final class FakeQuantGradients {
  static final String LSQ = "qatfleet_lsq";
  static final String PACT = "qatfleet_pact";

  /** Set once per process: a second class loader (Quarkus tests) finds the gradient in place. */
  private static final String REGISTERED_PROPERTY = "io.qatfleet.fakeQuantGradients";

  private FakeQuantGradients() {}

  /**
   * {@code x̂ = s·clamp(round(x/s), qmin, qmax)} with LSQ's gradient (Esser et al., ICLR 2020):
   * {@code ∂x̂/∂x = 1} strictly inside the range and 0 outside; {@code ∂x̂/∂s = round(x/s) - x/s}
   * inside, {@code qmin} below and {@code qmax} above, summed over every axis but the last. Where
   * {@code s} is a stopped value (the fixed-step STE) the step's gradient is dead and TensorFlow
   * never runs it. {@code s} broadcasts against the last dimension of {@code x}.
   */
  static Operand<TFloat32> lsq(Ops tf, Operand<TFloat32> x, Operand<TFloat32> s, QuantSpec spec) {
    ensureRegistered();
    // The step enters the router with one entry per channel, so that its gradient below has the
    // step's shape; a per-tensor step's entries are summed back by BroadcastTo's gradient.
    Shape shape = x.shape();
    int channels = Math.toIntExact(shape.size(shape.numDimensions() - 1));
    if (s.shape().numDimensions() != 1 || s.shape().size(0) != channels) {
      // int32, as the C++ gradient of BroadcastTo compares it with an int32 shape.
      s = tf.broadcastTo(s, tf.constant(new int[] {channels}));
    }
    Operand<TFloat32> step = tf.stopGradient(s);
    // x·(1/s): a multiply per element instead of a divide (the reciprocal is one per channel).
    // TF's CPU reciprocal is not always correctly rounded, so v may be an ulp off x/s: a value
    // exactly on a rounding boundary or on the range's edge may land on either side (measured:
    // x/s = 7 counted inside [-7, 7]); the projection rounds x/s in double.
    Operand<TFloat32> v = tf.math.mul(tf.stopGradient(x), tf.math.reciprocal(step));
    Operand<TFloat32> qmax = tf.constant((float) spec.qmax());
    Operand<TFloat32> clipped = tf.clipByValue(v, tf.constant((float) spec.qmin()), qmax);
    Operand<TFloat32> levels = tf.math.round(clipped);
    List<Operand<?>> inputs = new ArrayList<>(List.of(x, s, clipped, levels));
    // Features positive exactly where qmin < v < qmax, for the gradient's ReluGrad masks: one
    // for a symmetric grid, v itself as the lower one for an unsigned grid.
    if (spec.qmin() == -spec.qmax()) {
      inputs.add(tf.math.sub(qmax, tf.math.abs(v)));
    } else {
      inputs.add(spec.qmin() == 0 ? v : tf.math.sub(v, tf.constant((float) spec.qmin())));
      inputs.add(tf.math.sub(qmax, v));
    }
    return route(tf, LSQ, tf.math.mul(levels, step), inputs);
  }

  /**
   * PACT (Choi et al., 2018) on non-negative {@code x}: {@code x̂ = s·round(min(x, α)/s)}, {@code s
   * = α/qmax}; {@code ∂x̂/∂x = 1} below {@code α}, {@code ∂x̂/∂α = 1} at or above it (the STE
   * passes the rounding through, so the step's share of {@code α} gets no gradient).
   */
  static Operand<TFloat32> pact(
      Ops tf, Operand<TFloat32> x, Operand<TFloat32> alpha, QuantSpec spec) {
    ensureRegistered();
    Operand<TFloat32> a = tf.stopGradient(alpha);
    Operand<TFloat32> step = tf.math.div(a, tf.constant((float) spec.qmax()));
    Operand<TFloat32> clipped = tf.math.minimum(tf.stopGradient(x), a);
    Operand<TFloat32> onGrid = tf.math.mul(tf.math.round(tf.math.div(clipped, step)), step);
    return route(tf, PACT, onGrid, List.of(x, alpha));
  }

  /**
   * The router: output 0 is {@code value}; the gradient reads the other inputs by position. The
   * inputs {@code x} and {@code s} (or α), the first two, stay live; the rest enter stopped, as
   * their producers (Round) have no gradient to call.
   */
  private static Operand<TFloat32> route(
      Ops tf, String name, Operand<TFloat32> value, List<Operand<?>> inputs) {
    List<Operand<?>> all = new ArrayList<>(inputs.size() + 1);
    all.add(tf.stopGradient(value));
    for (int i = 0; i < inputs.size(); i++) {
      all.add(i < 2 ? inputs.get(i) : tf.stopGradient(inputs.get(i)));
    }
    @SuppressWarnings("unchecked")
    Output<TFloat32> out = (Output<TFloat32>) tf.withName(name).identityN(all).output().get(0);
    return out;
  }

  static void ensureRegistered() {
    Holder.touch();
  }

  private static final class Holder {
    static {
      // The lock registerCustomGradient itself takes.
      synchronized (TensorFlow.class) {
        if (System.getProperty(REGISTERED_PROPERTY) == null) {
          if (!TensorFlow.registerCustomGradient(IdentityN.OP_NAME, FakeQuantGradients::gradient)) {
            throw new IllegalStateException(
                "TensorFlow already has a gradient for IdentityN: fake quantization needs its own"
                    + " (the quantizers' step gradients)");
          }
          System.setProperty(REGISTERED_PROPERTY, "true");
        }
      }
    }

    static void touch() {}
  }

  private static List<Operand<?>> gradient(Ops tf, GraphOperation op, List<Output<?>> grads) {
    String name = op.name();
    if (name.contains(LSQ)) {
      return lsqGradient(tf, op, grads);
    }
    if (name.contains(PACT)) {
      return pactGradient(tf, op, grads);
    }
    return List.copyOf(grads);
  }

  // Inputs: 0 x̂, 1 x, 2 s, 3 clip(v), 4 round(clip(v)), 5.. the inside features.
  private static List<Operand<?>> lsqGradient(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Operand<TFloat32> g = floats(grads.get(0));
    Operand<TFloat32> inside = g;
    for (int i = 5; i < op.numInputs(); i++) {
      inside = tf.nn.reluGrad(inside, floats(op.input(i)));
    }
    // Σ g·q − Σ dx·clip(v): g·(q − v) inside (where clip(v) = v), g·q outside (where dx = 0).
    Operand<TFloat32> perElement =
        tf.math.sub(tf.math.mul(g, floats(op.input(4))), tf.math.mul(inside, floats(op.input(3))));
    Operand<TFloat32> ds = tf.reduceSum(perElement, leadingAxes(tf, g, 1));
    List<Operand<?>> result = new ArrayList<>(List.of(g, inside, ds));
    while (result.size() < op.numInputs()) {
      result.add(g); // into a stopped input: never run
    }
    return result;
  }

  // Inputs: 0 x̂ (stopped), 1 x, 2 α.
  private static List<Operand<?>> pactGradient(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Operand<TFloat32> g = floats(grads.get(0));
    Operand<TFloat32> below =
        tf.nn.reluGrad(g, tf.math.sub(floats(op.input(2)), floats(op.input(1))));
    Operand<TFloat32> dAlpha = tf.reduceSum(tf.math.sub(g, below), leadingAxes(tf, g, 0));
    return List.of(g, below, dAlpha);
  }

  /**
   * The axes {@code 0 .. rank-1-kept} of {@code t}, from the graph: a static shape query here would
   * wait on the graph's lock, which the gradient builder holds while it calls the gradient.
   */
  private static Operand<TInt32> leadingAxes(Ops tf, Operand<TFloat32> t, int kept) {
    return tf.range(tf.constant(0), tf.math.sub(tf.rank(t), tf.constant(kept)), tf.constant(1));
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat32> floats(Output<?> output) {
    return (Output<TFloat32>) output;
  }
}
