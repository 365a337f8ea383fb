package io.qatfleet.core.model;

import static io.qatfleet.core.model.ModelGraph.BIAS;
import static io.qatfleet.core.model.ModelGraph.BN_BETA;
import static io.qatfleet.core.model.ModelGraph.BN_EPSILON;
import static io.qatfleet.core.model.ModelGraph.BN_GAMMA;
import static io.qatfleet.core.model.ModelGraph.BN_MEAN;
import static io.qatfleet.core.model.ModelGraph.BN_MOMENTUM;
import static io.qatfleet.core.model.ModelGraph.BN_VAR;
import static io.qatfleet.core.model.ModelGraph.IN_ALPHA;
import static io.qatfleet.core.model.ModelGraph.IN_SCALE;
import static io.qatfleet.core.model.ModelGraph.KERNEL;
import static io.qatfleet.core.model.ModelGraph.PIXEL_STEP;
import static io.qatfleet.core.model.ModelGraph.W_SCALE;

import io.qatfleet.core.quant.FakeQuant;
import io.qatfleet.core.quant.LayerQuantSpec;
import io.qatfleet.core.quant.ModelQuantization;
import io.qatfleet.core.quant.QatMethod;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The layers of a {@link ModelSpec} as TensorFlow ops: consumes the image operand and the {@link
 * ModelVariables}, produces logits. A float graph applies batch norm after the layer, with batch
 * statistics when training (adding the moving-average updates to {@link #statisticsUpdates()}) and
 * the moving statistics otherwise. A quantized graph folds batch norm into the kernel and bias with
 * the moving statistics, then fake-quantizes the layer input, the kernel and the bias (see {@link
 * ModelGraph} for where and why).
 *
 * <p>The evaluation pass records, per layer, the value entering it (for range observers) and the
 * kernel and bias as the layer uses them before weight quantization (for the projection).
 */
final class ForwardPass {
  private final Ops tf;
  private final List<LayerShape> layers;
  private final ModelQuantization quantization;
  private final ModelVariables vars;
  private final List<Op> statisticsUpdates = new ArrayList<>();
  private final List<Operand<TFloat32>> pactAlphas = new ArrayList<>();
  private final List<Operand<TFloat32>> layerInputs = new ArrayList<>();
  private final List<Operand<TFloat32>> effectiveKernels = new ArrayList<>();
  private final List<Operand<TFloat32>> effectiveBiases = new ArrayList<>();

  /** {@code quantization} is null for a float graph. */
  ForwardPass(
      Ops tf, List<LayerShape> layers, ModelQuantization quantization, ModelVariables vars) {
    this.tf = tf;
    this.layers = layers;
    this.quantization = quantization;
    this.vars = vars;
  }

  /** The batch-norm moving-average updates of the training pass, to run with every step. */
  List<Op> statisticsUpdates() {
    return statisticsUpdates;
  }

  /** The value entering each layer, as recorded by the pass built with {@code record}. */
  List<Operand<TFloat32>> layerInputs() {
    return layerInputs;
  }

  /** Each layer's kernel before weight quantization (batch norm folded in quantized graphs). */
  List<Operand<TFloat32>> effectiveKernels() {
    return effectiveKernels;
  }

  /** Each layer's bias before bias quantization (batch norm folded in quantized graphs). */
  List<Operand<TFloat32>> effectiveBiases() {
    return effectiveBiases;
  }

  /**
   * Builds the layers on {@code images}.
   *
   * @param training float graphs with batch norm: normalise with the batch's statistics and update
   *     the moving ones
   * @param record keep the layer inputs and effective weights of this pass
   */
  Operand<TFloat32> logits(Operand<TFloat32> images, boolean training, boolean record) {
    ModelQuantization q = quantization;
    Operand<TFloat32> x = images;
    for (LayerShape l : layers) {
      if (l.flattensInput(layers)) {
        x = tf.reshape(x, tf.constant(new long[] {-1, l.inChannels()}));
      }
      if (record) {
        layerInputs.add(x);
      }
      boolean quantized = q != null && q.quantizes(l.index());
      if (quantized && l.index() > 0) {
        x = quantizeInput(l, x, q);
      }
      Operand<TFloat32> w = vars.value(l, KERNEL);
      Operand<TFloat32> b = vars.value(l, BIAS);
      if (q != null && l.batchNorm()) {
        Operand<TFloat32> factor =
            tf.math.mul(
                vars.value(l, BN_GAMMA),
                tf.math.rsqrt(tf.math.add(vars.value(l, BN_VAR), tf.constant(BN_EPSILON))));
        w = tf.math.mul(w, factor);
        b =
            tf.math.add(
                vars.value(l, BN_BETA),
                tf.math.mul(tf.math.sub(b, vars.value(l, BN_MEAN)), factor));
      }
      if (record) {
        effectiveKernels.add(w);
        effectiveBiases.add(b);
      }
      if (quantized) {
        w = quantizeWeights(l, w, q);
        b = quantizeBias(l, b, q);
      }
      Operand<TFloat32> z =
          l.conv() ? tf.nn.conv2d(x, w, List.of(1L, 1L, 1L, 1L), "SAME") : tf.linalg.matMul(x, w);
      z = tf.nn.biasAdd(z, b);
      if (q == null && l.batchNorm()) {
        z = batchNorm(l, z, training);
      }
      if (l.hidden()) {
        z = tf.nn.relu(z);
        if (l.conv()) {
          z =
              tf.nn.maxPool(
                  z,
                  tf.constant(new int[] {1, 2, 2, 1}),
                  tf.constant(new int[] {1, 2, 2, 1}),
                  "VALID");
        }
      }
      x = z;
    }
    return x;
  }

  private Operand<TFloat32> batchNorm(LayerShape l, Operand<TFloat32> z, boolean training) {
    Operand<TFloat32> mean;
    Operand<TFloat32> variance;
    if (training) {
      Operand<TInt32> axes =
          l.conv() ? tf.constant(new int[] {0, 1, 2}) : tf.constant(new int[] {0});
      mean = tf.math.mean(z, axes);
      variance = tf.math.mean(tf.math.square(tf.math.sub(z, mean)), axes);
      Operand<TFloat32> keep = tf.constant(BN_MOMENTUM);
      Operand<TFloat32> take = tf.constant(1 - BN_MOMENTUM);
      statisticsUpdates.add(
          tf.assign(
              vars.variable(l, BN_MEAN),
              tf.math.add(tf.math.mul(vars.value(l, BN_MEAN), keep), tf.math.mul(mean, take))));
      statisticsUpdates.add(
          tf.assign(
              vars.variable(l, BN_VAR),
              tf.math.add(tf.math.mul(vars.value(l, BN_VAR), keep), tf.math.mul(variance, take))));
    } else {
      mean = vars.value(l, BN_MEAN);
      variance = vars.value(l, BN_VAR);
    }
    Operand<TFloat32> factor =
        tf.math.mul(
            vars.value(l, BN_GAMMA), tf.math.rsqrt(tf.math.add(variance, tf.constant(BN_EPSILON))));
    return tf.math.add(tf.math.mul(tf.math.sub(z, mean), factor), vars.value(l, BN_BETA));
  }

  private Operand<TFloat32> quantizeWeights(
      LayerShape l, Operand<TFloat32> w, ModelQuantization q) {
    LayerQuantSpec spec = q.layers().get(l.index());
    Operand<TFloat32> scale = vars.value(l, W_SCALE);
    if (q.method() == QatMethod.STE) {
      return FakeQuant.ste(tf, w, scale, spec.weights());
    }
    long perScale = l.kernelSize() / spec.weights().scaleCount(l.kernelShape());
    return FakeQuant.lsq(
        tf, w, scale, spec.weights(), FakeQuant.lsqGradScale(perScale, spec.weights().qp()));
  }

  /**
   * Rounds the bias to the int32 grid of the accumulator, step {@code s_in·s_w}, as the integer
   * engine stores it (STE, no clipping: int32 does not saturate for these models).
   */
  private Operand<TFloat32> quantizeBias(LayerShape l, Operand<TFloat32> b, ModelQuantization q) {
    Operand<TFloat32> step = tf.stopGradient(tf.math.mul(inputStep(l, q), vars.value(l, W_SCALE)));
    Operand<TFloat32> onGrid = tf.math.mul(tf.math.round(tf.math.div(b, step)), step);
    return tf.math.add(b, tf.stopGradient(tf.math.sub(onGrid, b)));
  }

  /** Step size of the activations entering layer {@code l} (pixels for layer 0). */
  private Operand<TFloat32> inputStep(LayerShape l, ModelQuantization q) {
    if (l.index() == 0) {
      return tf.constant(PIXEL_STEP);
    }
    if (q.method() == QatMethod.LSQ_PACT) {
      return tf.math.div(
          vars.value(l, IN_ALPHA), tf.constant((float) q.layers().get(l.index()).input().qmax()));
    }
    return vars.value(l, IN_SCALE);
  }

  private Operand<TFloat32> quantizeInput(LayerShape l, Operand<TFloat32> x, ModelQuantization q) {
    LayerQuantSpec spec = q.layers().get(l.index());
    return switch (q.method()) {
      case STE -> FakeQuant.ste(tf, x, vars.value(l, IN_SCALE), spec.input());
      case LSQ ->
          FakeQuant.lsq(
              tf,
              x,
              vars.value(l, IN_SCALE),
              spec.input(),
              FakeQuant.lsqGradScale(l.inputFeatures(), spec.input().qp()));
      case LSQ_PACT -> {
        pactAlphas.add(vars.value(l, IN_ALPHA));
        yield FakeQuant.pact(tf, x, vars.value(l, IN_ALPHA), spec.input());
      }
    };
  }

  /**
   * {@code crossEntropy} plus PACT's L2 penalty on the clipping values, where the method has it.
   */
  Operand<TFloat32> withPactPenalty(Operand<TFloat32> crossEntropy) {
    ModelQuantization q = quantization;
    if (q == null || pactAlphas.isEmpty() || q.pactL2() == 0) {
      return crossEntropy;
    }
    List<Operand<TFloat32>> squares = new ArrayList<>();
    for (Operand<TFloat32> alpha : pactAlphas) {
      // Mul, not Square: the C++ gradient of Square crashes on variable inputs in TF 2.18.
      squares.add(tf.math.mul(alpha, alpha));
    }
    return tf.math.add(crossEntropy, tf.math.mul(tf.constant(q.pactL2()), tf.math.addN(squares)));
  }

  /**
   * An op that overwrites every kernel with its projection onto the integer grid of its step sizes
   * (hard projection: no float shadow weights between steps).
   */
  Op projection() {
    List<Op> assigns = new ArrayList<>();
    for (LayerShape l : layers) {
      if (!quantization.quantizes(l.index())) {
        continue;
      }
      Operand<TFloat32> projected =
          FakeQuant.ste(
              tf,
              vars.value(l, KERNEL),
              vars.value(l, W_SCALE),
              quantization.layers().get(l.index()).weights());
      assigns.add(tf.assign(vars.variable(l, KERNEL), projected));
    }
    return tf.withControlDependencies(assigns).withName("project").noOp();
  }
}
