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
  private final LayerGraph graph;
  private final List<LayerShape> layers;
  private final ModelQuantization quantization;
  private final ModelVariables vars;
  private final List<Op> statisticsUpdates = new ArrayList<>();
  private final List<Operand<TFloat32>> pactAlphas = new ArrayList<>();
  private final List<Operand<TFloat32>> layerInputs = new ArrayList<>();
  private final List<Operand<TFloat32>> effectiveKernels = new ArrayList<>();
  private final List<Operand<TFloat32>> effectiveBiases = new ArrayList<>();

  /** {@code quantization} is null for a float graph. */
  ForwardPass(Ops tf, LayerGraph graph, ModelQuantization quantization, ModelVariables vars) {
    this.tf = tf;
    this.graph = graph;
    this.layers = graph.layers();
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
   * Builds the layers on {@code images}, walking the graph's nodes in order.
   *
   * @param training float graphs with batch norm: normalise with the batch's statistics and update
   *     the moving ones
   * @param record keep the layer inputs and effective weights of this pass
   */
  Operand<TFloat32> logits(Operand<TFloat32> images, boolean training, boolean record) {
    List<Operand<TFloat32>> values = new ArrayList<>();
    for (LayerGraph.Node n : graph.nodes()) {
      Operand<TFloat32> x = n.input() < 0 ? images : values.get(n.input());
      Operand<TFloat32> y =
          switch (n.kind()) {
            case CONV2D, DENSE -> weightLayer(n.layer(), x, record);
            case BATCH_NORM -> {
              LayerShape l = graph.nodes().get(n.input()).layer();
              // Quantized graphs fold batch norm into the layer's kernel and bias.
              yield quantization == null ? batchNorm(l, x, training) : x;
            }
            case RELU -> tf.nn.relu(x);
            case RELU6 -> tf.nn.relu6(x);
            case MAX_POOL ->
                tf.nn.maxPool(
                    x,
                    tf.constant(new int[] {1, n.size(), n.size(), 1}),
                    tf.constant(new int[] {1, n.stride(), n.stride(), 1}),
                    "VALID");
            case AVG_POOL ->
                tf.nn.avgPool(
                    x,
                    List.of(1L, (long) n.size(), (long) n.size(), 1L),
                    List.of(1L, (long) n.stride(), (long) n.stride(), 1L),
                    "VALID");
            case GLOBAL_AVG_POOL -> tf.math.mean(x, tf.constant(new int[] {1, 2}));
            case ADD -> tf.math.add(x, n.other() < 0 ? images : values.get(n.other()));
            case FLATTEN ->
                n.inShape().flat()
                    ? x
                    : tf.reshape(x, tf.constant(new long[] {-1, n.outShape().elements()}));
          };
      values.add(y);
    }
    return values.get(values.size() - 1);
  }

  /**
   * A conv2d or dense layer on {@code x}: its input quantized, batch norm folded and its weights
   * quantized in a quantized graph; the pre-activation out (bias added).
   */
  private Operand<TFloat32> weightLayer(LayerShape l, Operand<TFloat32> x, boolean record) {
    ModelQuantization q = quantization;
    if (record) {
      layerInputs.add(x);
    }
    boolean quantized = q != null && q.quantizes(l.index());
    if (quantized && !l.readsImage()) {
      if (!graph.readsNonNegative(l.index())) {
        // The unsigned grid has no level below 0 (the integer engine clamps there): PACT clips
        // only at alpha, so a value no ReLU made non-negative is clipped at 0 first. Only such
        // graphs get the extra op, so the presets' graphs stay as they were.
        x = tf.nn.relu(x);
      }
      x = quantizeInput(l, x, q);
    }
    Operand<TFloat32> w = vars.value(l, KERNEL);
    Operand<TFloat32> b = vars.value(l, BIAS);
    if (q != null && l.batchNorm()) {
      // Per output channel, the kernel's last axis (also for depthwise kernels [k, k, 1, C]).
      Operand<TFloat32> factor =
          tf.math.mul(
              vars.value(l, BN_GAMMA),
              tf.math.rsqrt(tf.math.add(vars.value(l, BN_VAR), tf.constant(BN_EPSILON))));
      w = tf.math.mul(w, factor);
      b =
          tf.math.add(
              vars.value(l, BN_BETA), tf.math.mul(tf.math.sub(b, vars.value(l, BN_MEAN)), factor));
    }
    if (record) {
      effectiveKernels.add(w);
      effectiveBiases.add(b);
    }
    if (quantized) {
      w = quantizeWeights(l, w, q);
      b = quantizeBias(l, b, q);
    }
    Operand<TFloat32> z = l.conv() ? conv(l, x, w) : tf.linalg.matMul(x, w);
    return tf.nn.biasAdd(z, b);
  }

  /**
   * The convolution of layer {@code l}: zero padding on every side, then a VALID convolution (TF's
   * SAME pads stride-2 inputs unevenly, unlike PyTorch, ONNX and the integer engine); at stride 1
   * with an odd kernel and half-kernel padding, SAME is the same and needs no padded copy. A
   * depthwise kernel {@code [k, k, 1, C]} runs as a dense conv with the block-diagonal kernel
   * {@code [k, k, C, C]}: TensorFlow's C++ gradients, which graphs built from Java use, have none
   * for DepthwiseConv2dNative, and the zeros cost C times the (small) depthwise FLOPs.
   */
  private Operand<TFloat32> conv(LayerShape l, Operand<TFloat32> x, Operand<TFloat32> w) {
    if (l.depthwise()) {
      int c = l.outChannels();
      float[] eye = new float[c * c];
      for (int i = 0; i < c; i++) {
        eye[i * c + i] = 1f;
      }
      Operand<TFloat32> diagonal =
          tf.constant(
              org.tensorflow.ndarray.Shape.of(1, 1, c, c),
              org.tensorflow.ndarray.buffer.DataBuffers.of(eye, true, false));
      w = tf.math.mul(w, diagonal);
    }
    List<Long> strides = List.of(1L, (long) l.stride(), (long) l.stride(), 1L);
    if (l.stride() == 1 && l.kernel() % 2 == 1 && l.padding() == l.kernel() / 2) {
      return tf.nn.conv2d(x, w, strides, "SAME");
    }
    if (l.padding() > 0) {
      // int32 paddings: the C++ gradient of Pad slices with them against an int32 shape.
      int p = l.padding();
      x = tf.pad(x, tf.constant(new int[][] {{0, 0}, {p, p}, {p, p}, {0, 0}}), tf.constant(0f));
    }
    return tf.nn.conv2d(x, w, strides, "VALID");
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

  /** Step size of the activations entering layer {@code l} (pixels when it reads the image). */
  private Operand<TFloat32> inputStep(LayerShape l, ModelQuantization q) {
    if (l.readsImage()) {
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
