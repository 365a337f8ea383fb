package io.qatfleet.core.quant;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.TensorFlow;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.IdentityN;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxArgs;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxArgsGradient;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVars;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVarsGradient;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Fake quantizers whose backward pass is written by hand: the forward value is computed on stopped
 * tensors and handed, with the live inputs, to an {@code IdentityN} op (a router) whose registered
 * gradient is the quantizer's. Autodiff through the forward ops builds a gradient op per forward op
 * (RealDiv's alone takes five passes over the tensor, Minimum's a slow boolean comparison), which
 * made a QAT step of the MLP 1.4-2.4 times its float step.
 *
 * <p>Each op is also a hand-off between TensorFlow's threads, which on small models costs more than
 * its arithmetic; so the rounding and the range's mask come from TensorFlow's fused fake-quant
 * kernels, one op each: {@code FakeQuantWithMinMaxArgs} on {@code v = x/s} with the grid's integer
 * edges (its scale is exactly 1, so its output is the integer level), and for PACT {@code
 * FakeQuantWithMinMaxVars} on {@code [0, α]}, whose gradient kernel also sums α's gradient. Those
 * kernels take 2 to 16 bits; a 1-bit grid is rounded and masked with element-wise ops. Both round
 * halves up ({@code floor(v + 0.5)}) and count a value exactly on the range's edge inside, where
 * the gradient passes to {@code x} and the step gets its rounding term (zero there): at that kink
 * either side is a valid choice, and the kernels made this one. (TensorFlow's per-channel kernel
 * loops over channels and was slower than the element-wise ops: per-channel steps scale {@code v}
 * instead.)
 *
 * <p>TensorFlow's C++ gradient registry, which graphs built from Java use, has no gradient for
 * IdentityN. This class registers one that dispatches on the router's name ({@value #LSQ} or
 * {@value #PACT}, then the grid: {@code _s4n} for signed 4-bit narrow range, {@code _u4} for
 * unsigned 4-bit; the name, unlike the graph's other facts, can be read while the gradient builder
 * holds the graph's lock); any other IdentityN passes its gradients through, which is IdentityN's
 * gradient. The registry is per process and takes one gradient per op type: this class is the one
 * place that registers it, and a TensorFlow build that brings its own IdentityN gradient fails here
 * rather than silently training without the quantizers' step gradients.
 */
final class FakeQuantGradients {
  static final String LSQ = "qatfleet_lsq";
  static final String PACT = "qatfleet_pact";

  /**
   * A router's name: the quantizer, then the grid (signed or unsigned, bits, narrow range), then
   * the suffix {@code _<n>} a graph adds to make a repeated name unique.
   */
  private static final Pattern ROUTER =
      Pattern.compile("(?:^|/)qatfleet_(lsq|pact)_([su])(\\d+)(n?)(?:_\\d+)?$");

  /** The fewest bits TensorFlow's fake-quant kernels take. */
  private static final int FUSED_MIN_BITS = 2;

  /** Set once per process: a second class loader (Quarkus tests) finds the gradient in place. */
  private static final String REGISTERED_PROPERTY = "io.qatfleet.fakeQuantGradients";

  private FakeQuantGradients() {}

  /**
   * {@code x̂ = s·clamp(round(x/s), qmin, qmax)} with LSQ's gradient (Esser et al., ICLR 2020):
   * {@code ∂x̂/∂x = 1} inside the range and 0 outside; {@code ∂x̂/∂s = round(x/s) - x/s} inside,
   * {@code qmin} below and {@code qmax} above, summed over every axis but the last. Where {@code s}
   * is a stopped value (the fixed-step STE) the step's gradient is dead and TensorFlow never runs
   * it. {@code s} broadcasts against the last dimension of {@code x}.
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
    // exactly on a rounding boundary or on the range's edge may land on either side; the
    // projection rounds x/s in double.
    Operand<TFloat32> v = tf.math.mul(tf.stopGradient(x), tf.math.reciprocal(step));
    Operand<TFloat32> levels;
    if (fused(spec)) {
      levels =
          tf.quantization.fakeQuantWithMinMaxArgs(
              v,
              FakeQuantWithMinMaxArgs.min((float) spec.qmin()),
              FakeQuantWithMinMaxArgs.max((float) spec.qmax()),
              FakeQuantWithMinMaxArgs.numBits((long) spec.bits()),
              FakeQuantWithMinMaxArgs.narrowRange(spec.narrowRange()));
    } else {
      Operand<TFloat32> clipped =
          tf.clipByValue(v, tf.constant((float) spec.qmin()), tf.constant((float) spec.qmax()));
      levels = tf.math.floor(tf.math.add(clipped, tf.constant(0.5f)));
    }
    return route(tf, routerName(LSQ, spec), tf.math.mul(levels, step), List.of(x, s, v, levels));
  }

  /**
   * PACT (Choi et al., 2018) on non-negative {@code x}: {@code x̂ = s·round(min(x, α)/s)}, {@code s
   * = α/qmax}; {@code ∂x̂/∂x = 1} up to {@code α}, {@code ∂x̂/∂α = 1} above it (the STE passes the
   * rounding through, so the step's share of {@code α} gets no gradient).
   */
  static Operand<TFloat32> pact(
      Ops tf, Operand<TFloat32> x, Operand<TFloat32> alpha, QuantSpec spec) {
    ensureRegistered();
    Operand<TFloat32> a = tf.stopGradient(alpha);
    Operand<TFloat32> onGrid;
    if (fused(spec)) {
      onGrid =
          tf.quantization.fakeQuantWithMinMaxVars(
              tf.stopGradient(x),
              tf.constant(0f),
              a,
              FakeQuantWithMinMaxVars.numBits((long) spec.bits()),
              FakeQuantWithMinMaxVars.narrowRange(false));
    } else {
      Operand<TFloat32> step = tf.math.div(a, tf.constant((float) spec.qmax()));
      Operand<TFloat32> clipped = tf.math.minimum(tf.stopGradient(x), a);
      Operand<TFloat32> half = tf.constant(0.5f);
      onGrid = tf.math.mul(tf.math.floor(tf.math.add(tf.math.div(clipped, step), half)), step);
    }
    return route(tf, routerName(PACT, spec), onGrid, List.of(x, alpha));
  }

  /** Whether TensorFlow's fake-quant kernels take {@code spec}'s grid. */
  private static boolean fused(QuantSpec spec) {
    return spec.bits() >= FUSED_MIN_BITS;
  }

  private static String routerName(String quantizer, QuantSpec spec) {
    return quantizer
        + (spec.signed() ? "_s" : "_u")
        + spec.bits()
        + (spec.narrowRange() ? "n" : "");
  }

  /**
   * The router: output 0 is {@code value}; the gradient reads the other inputs by position. The
   * inputs {@code x} and {@code s} (or α), the first two, stay live; the rest enter stopped, as the
   * rounding has no gradient to call.
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
    Matcher router = ROUTER.matcher(op.name());
    if (!router.find()) {
      if (op.name().contains("qatfleet_")) {
        // Passing gradients through would train without the quantizer's masks and step gradient.
        throw new IllegalStateException(
            "a fake quantizer's router with an unreadable name: " + op.name());
      }
      return List.copyOf(grads);
    }
    int bits = Integer.parseInt(router.group(3));
    boolean signed = router.group(2).equals("s");
    boolean narrow = !router.group(4).isEmpty();
    QuantSpec grid = new QuantSpec(bits, signed, true, narrow, Granularity.PER_TENSOR);
    Operand<TFloat32> g = floats(grads.get(0));
    return router.group(1).equals("lsq")
        ? lsqGradient(tf, op, g, grid)
        : pactGradient(tf, op, g, grid);
  }

  // Inputs: 0 x̂, 1 x, 2 s, 3 v = x/s, 4 the levels round(clip(v)); all but x and s stopped.
  private static List<Operand<?>> lsqGradient(
      Ops tf, GraphOperation op, Operand<TFloat32> g, QuantSpec grid) {
    Operand<TFloat32> v = floats(op.input(3));
    Operand<TFloat32> inside;
    if (fused(grid)) {
      inside =
          tf.quantization.fakeQuantWithMinMaxArgsGradient(
              g,
              v,
              FakeQuantWithMinMaxArgsGradient.min((float) grid.qmin()),
              FakeQuantWithMinMaxArgsGradient.max((float) grid.qmax()),
              FakeQuantWithMinMaxArgsGradient.numBits((long) grid.bits()),
              FakeQuantWithMinMaxArgsGradient.narrowRange(grid.narrowRange()));
    } else {
      Operand<TFloat32> qmin = tf.constant((float) grid.qmin());
      inside = tf.math.mul(g, within(tf, v, qmin, tf.constant((float) grid.qmax())));
    }
    // Σ g·q − Σ dx·v: g·(q − v) inside, g·q outside (where dx = 0).
    Operand<TFloat32> perElement =
        tf.math.sub(tf.math.mul(g, floats(op.input(4))), tf.math.mul(inside, v));
    Operand<TFloat32> ds = tf.reduceSum(perElement, leadingAxes(tf, g, 1));
    // g into the stopped inputs: never run.
    return List.of(g, inside, ds, g, g);
  }

  // Inputs: 0 x̂ (stopped), 1 x, 2 α.
  private static List<Operand<?>> pactGradient(
      Ops tf, GraphOperation op, Operand<TFloat32> g, QuantSpec grid) {
    Operand<TFloat32> x = floats(op.input(1));
    Operand<TFloat32> alpha = floats(op.input(2));
    if (fused(grid)) {
      FakeQuantWithMinMaxVarsGradient d =
          tf.quantization.fakeQuantWithMinMaxVarsGradient(
              g,
              x,
              tf.constant(0f),
              alpha,
              FakeQuantWithMinMaxVarsGradient.numBits((long) grid.bits()),
              FakeQuantWithMinMaxVarsGradient.narrowRange(false));
      return List.of(g, d.backpropsWrtInput(), d.backpropWrtMax());
    }
    Operand<TFloat32> below = tf.math.mul(g, within(tf, x, tf.constant(0f), alpha));
    Operand<TFloat32> dAlpha = tf.reduceSum(tf.math.sub(g, below), leadingAxes(tf, g, 0));
    return List.of(g, below, dAlpha);
  }

  /**
   * 1 where {@code lo ≤ t ≤ hi}, else 0, as the fused kernels count: boolean comparisons, only for
   * the 1-bit grids the kernels do not take.
   */
  private static Operand<TFloat32> within(
      Ops tf, Operand<TFloat32> t, Operand<TFloat32> lo, Operand<TFloat32> hi) {
    return tf.dtypes.cast(
        tf.math.logicalAnd(tf.math.greaterEqual(t, lo), tf.math.lessEqual(t, hi)), TFloat32.class);
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
