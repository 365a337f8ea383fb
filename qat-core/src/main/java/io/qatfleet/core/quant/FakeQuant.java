package io.qatfleet.core.quant;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Fake quantization as TensorFlow graph ops: the forward pass sees values on the integer grid times
 * the step size, the backward pass uses the straight-through estimator (STE). Each quantizer's
 * backward pass is written by hand ({@link FakeQuantGradients}) around TensorFlow's fused
 * fake-quant kernels: a fraction of the element-wise ops of autodiff through its forward ops.
 *
 * <p>Step sizes broadcast against the last dimension: a scalar for per-tensor quantizers, a vector
 * of output channels for per-channel weights (HWIO kernels and [in, out] matrices both keep output
 * channels last).
 */
public final class FakeQuant {
  private FakeQuant() {}

  /**
   * Fixed-step fake quantization {@code x̂ = s·clamp(round(x/s), qmin, qmax)} with the STE:
   * gradient 1 with respect to {@code x} inside the clipping range {@code [qmin·s, qmax·s]}, 0
   * outside, none with respect to {@code s}.
   */
  public static Operand<TFloat32> ste(
      Ops tf, Operand<TFloat32> x, Operand<TFloat32> scale, QuantSpec spec) {
    return FakeQuantGradients.lsq(tf, x, tf.stopGradient(scale), spec);
  }

  /**
   * Learned Step Size Quantization (Esser et al., "Learned Step Size Quantization", ICLR 2020):
   * {@code x̂ = s·round(clip(x/s, -Qn, Qp))} with the rounding passed straight through and the step
   * size's gradient scaled by {@code g}. The gradient with respect to {@code s} is {@code
   * g·(round(x/s) - x/s)} inside the range, {@code -g·Qn} below it and {@code g·Qp} above it; with
   * respect to {@code x} it is 1 inside the range and 0 elsewhere. A value exactly on the range's
   * edge counts inside (the paper counts it outside; at that kink either is a valid choice), and
   * halves round up: TensorFlow's fused fake-quant kernels do both ({@link FakeQuantGradients}).
   *
   * @param gradScale {@code g}, usually {@link #lsqGradScale(long, int)}
   */
  public static Operand<TFloat32> lsq(
      Ops tf, Operand<TFloat32> x, Operand<TFloat32> scale, QuantSpec spec, float gradScale) {
    return FakeQuantGradients.lsq(tf, x, scaleGradient(tf, scale, gradScale), spec);
  }

  /**
   * PACT (Choi et al., "PACT: Parameterized Clipping Activation for Quantized Neural Networks",
   * 2018) for non-negative inputs (after a ReLU): {@code y = min(x, α)} quantized to {@code bits}
   * unsigned bits with step {@code α/(2^b - 1)}. The STE passes the gradient straight through the
   * rounding, so {@code ∂x̂/∂α = 1} where {@code x > α} and 0 elsewhere, and {@code ∂x̂/∂x = 1}
   * below {@code α}.
   */
  public static Operand<TFloat32> pact(
      Ops tf, Operand<TFloat32> x, Operand<TFloat32> alpha, QuantSpec spec) {
    if (spec.signed()) {
      throw new IllegalArgumentException("PACT quantizes non-negative activations: spec is signed");
    }
    return FakeQuantGradients.pact(tf, x, alpha, spec);
  }

  /**
   * The LSQ paper's gradient scale {@code g = 1/sqrt(N·Qp)}, where {@code N} is the number of
   * elements that share one step size (weights of a layer or channel, or features per sample).
   */
  public static float lsqGradScale(long elementsPerScale, int qp) {
    return (float) (1.0 / Math.sqrt((double) elementsPerScale * qp));
  }

  /**
   * Identity in the forward pass (bit-exact: {@code s + (a - a)}), gradient multiplied by {@code g}
   * in the backward pass, so that projected weights use exactly the step size the graph used.
   */
  static Operand<TFloat32> scaleGradient(Ops tf, Operand<TFloat32> s, float g) {
    Operand<TFloat32> scaled = tf.math.mul(s, tf.constant(g));
    return tf.math.add(tf.stopGradient(s), tf.math.sub(scaled, tf.stopGradient(scaled)));
  }
}
