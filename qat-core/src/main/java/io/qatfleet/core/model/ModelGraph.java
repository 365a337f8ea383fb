package io.qatfleet.core.model;

import io.qatfleet.core.checkpoint.TensorData;
import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.quant.FakeQuant;
import io.qatfleet.core.quant.LayerQuantSpec;
import io.qatfleet.core.quant.ModelQuantization;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.RangeObserver;
import io.qatfleet.core.train.FitOptions;
import io.qatfleet.core.train.FitResult;
import io.qatfleet.core.train.NonFiniteLossException;
import io.qatfleet.core.train.OptimizerKind;
import io.qatfleet.core.train.ScheduledOptimizers;
import io.qatfleet.core.train.Trainable;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.core.train.TrainingProgress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.framework.optimizers.Optimizer.GradAndVar;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * A {@link ModelSpec} as a TensorFlow graph and session for one phase: float training, QAT with
 * fake quantization (float shadow weights, fake-quant forward, STE backward), calibration of the
 * quantization parameters with the weights frozen, or inference only. Every phase builds its own
 * graph and exchanges variable values through {@link ModelState}, which is also what services
 * checkpoint.
 *
 * <p>In quantized graphs, batch norm is folded into the preceding layer with its moving statistics
 * (frozen), so the fake-quantized weights are exactly those the integer model gets. Activations are
 * quantized where they enter a layer, after ReLU and max pooling (pooling commutes with a monotone
 * quantizer, and there are four times fewer values to quantize).
 *
 * <p>Step sizes and clipping values live in the graph as natural logarithms and are used as {@code
 * exp(θ)}, as in TQT (Jain et al., "Trained Quantization Thresholds", 2019): Adam's step of roughly
 * constant size then changes them by a relative amount, whatever their magnitude (0.003 for a
 * weight step, 20 for a clipping value), and they stay positive. {@link #load} and {@link #export}
 * convert, so {@link ModelState} holds the values themselves. LSQ's gradient scale and PACT's
 * clipping gradient apply to the values; the chain rule adds the factor {@code exp(θ)}.
 *
 * <p>Not thread-safe. Every tensor is closed as soon as it has been read.
 */
public final class ModelGraph implements AutoCloseable {
  public static final String KERNEL = "kernel";
  public static final String BIAS = "bias";
  public static final String BN_GAMMA = "bn_gamma";
  public static final String BN_BETA = "bn_beta";
  public static final String BN_MEAN = "bn_mean";
  public static final String BN_VAR = "bn_var";
  public static final String W_SCALE = "w_scale";
  public static final String IN_SCALE = "in_scale";
  public static final String IN_ALPHA = "in_alpha";

  /** Step of layer 0's input: pixels are bytes scaled to [0, 1]. */
  public static final float PIXEL_STEP = 1f / 255f;

  public static final float BN_EPSILON = 1e-3f;
  public static final float BN_MOMENTUM = 0.9f;
  private static final int INFERENCE_BATCH = 1000;
  private static final long PROGRESS_INTERVAL_NANOS = 1_000_000_000L;

  /**
   * What to build.
   *
   * @param quantization null for a float graph
   * @param hardProjection after each optimizer step, overwrite the kernels with their projection
   *     onto the integer grid (no float shadow weights); quantized graphs without batch norm only
   */
  public record Config(
      ModelSpec model,
      ModelQuantization quantization,
      Trainable trainable,
      OptimizerKind optimizer,
      float momentum,
      boolean hardProjection) {
    public Config {
      if (hardProjection && quantization == null) {
        throw new IllegalArgumentException("hardProjection: needs a quantized graph");
      }
      if (hardProjection && model.batchNorm()) {
        throw new IllegalArgumentException(
            "hardProjection: not supported with batch norm (kernels are projected after folding)");
      }
      if (quantization != null && quantization.layers().size() != model.layerCount()) {
        throw new IllegalArgumentException(
            "quantization: "
                + quantization.layers().size()
                + " layer specs for a model of "
                + model.layerCount()
                + " layers");
      }
    }

    /** Inference only. */
    public static Config inference(ModelSpec model, ModelQuantization quantization) {
      return new Config(model, quantization, Trainable.NONE, OptimizerKind.ADAM, 0f, false);
    }
  }

  private final Config config;
  private final List<LayerShape> layers;
  private final Graph graph;
  private final Session session;
  private final Ops tf;
  private final Placeholder<TFloat32> images;
  private final Placeholder<TFloat32> labels;
  private final Map<String, Variable<TFloat32>> variables = new LinkedHashMap<>();
  private final Map<String, Operand<TFloat32>> values = new LinkedHashMap<>();
  private final Map<String, Placeholder<TFloat32>> loadFeeds = new LinkedHashMap<>();
  private final List<Op> loadOps = new ArrayList<>();
  private final List<Op> statisticsUpdates = new ArrayList<>();
  private final List<Operand<TFloat32>> layerInputs = new ArrayList<>();
  private final List<Operand<TFloat32>> pactAlphas = new ArrayList<>();
  private final List<Operand<TFloat32>> effectiveKernels = new ArrayList<>();
  private final List<Operand<TFloat32>> effectiveBiases = new ArrayList<>();
  private final Operand<TFloat32> loss;
  private final Operand<TInt64> predictions;
  private final Op trainOp;
  private final Operand<TFloat32> learningRate;
  private final Op projectOp;

  private ModelGraph(Config config) {
    this.config = config;
    this.layers = LayerShape.of(config.model());
    this.graph = new Graph();
    try {
      this.tf = Ops.create(graph);
      ModelSpec spec = config.model();
      Shape inputShape =
          spec.convChannels().isEmpty()
              ? Shape.of(-1, (long) spec.inputHeight() * spec.inputWidth())
              : Shape.of(-1, spec.inputHeight(), spec.inputWidth(), 1);
      images = tf.withName("images").placeholder(TFloat32.class, Placeholder.shape(inputShape));
      labels =
          tf.withName("labels")
              .placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, spec.numClasses())));
      createVariables();

      boolean batchStatistics = spec.batchNorm() && config.quantization() == null;
      Operand<TFloat32> evalLogits = forward(false, layerInputs, true);
      Operand<TFloat32> trainLogits =
          batchStatistics && config.trainable() != Trainable.NONE
              ? forward(true, new ArrayList<>(), false)
              : evalLogits;
      predictions = tf.math.argMax(evalLogits, tf.constant(1), TInt64.class);
      Operand<TFloat32> crossEntropy =
          tf.math.mean(
              tf.nn.softmaxCrossEntropyWithLogits(trainLogits, labels).loss(), tf.constant(0));
      loss = addPactPenalty(crossEntropy);

      List<Variable<TFloat32>> trained = trainableVariables();
      if (config.trainable() == Trainable.NONE || trained.isEmpty()) {
        trainOp = null;
        learningRate = null;
      } else {
        ScheduledOptimizers.Scheduled optimizer =
            ScheduledOptimizers.create(config.optimizer(), graph, 1e-3f, config.momentum());
        Output<?>[] targets = trained.stream().map(Variable::asOutput).toArray(Output<?>[]::new);
        Output<?>[] gradients = graph.addGradients(loss.asOutput(), targets);
        List<GradAndVar<? extends TType>> pairs = new ArrayList<>();
        for (int i = 0; i < targets.length; i++) {
          pairs.add(
              new GradAndVar<>(gradients[i].expect(TFloat32.class), trained.get(i).asOutput()));
        }
        trainOp = optimizer.applyGradients(pairs, "train");
        learningRate = optimizer.learningRate();
      }
      projectOp = config.hardProjection() ? buildProjection() : null;
      session = new Session(graph);
      session.initialize();
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /** Builds the graph and session for {@code config}. Close it to free native memory. */
  public static ModelGraph build(Config config) {
    return new ModelGraph(config);
  }

  /** Builds the graph and loads {@code state} into it. */
  public static ModelGraph build(Config config, ModelState state) {
    ModelGraph g = new ModelGraph(config);
    try {
      g.load(state);
      return g;
    } catch (RuntimeException e) {
      g.close();
      throw e;
    }
  }

  public Config config() {
    return config;
  }

  public List<LayerShape> layers() {
    return layers;
  }

  // ---------------------------------------------------------------- graph construction

  private void createVariables() {
    ModelQuantization q = config.quantization();
    for (LayerShape l : layers) {
      variable(l.name(KERNEL), l.kernelShape());
      variable(l.name(BIAS), new long[] {l.outChannels()});
      if (l.batchNorm()) {
        for (String name : List.of(BN_GAMMA, BN_BETA, BN_MEAN, BN_VAR)) {
          variable(l.name(name), new long[] {l.outChannels()});
        }
      }
      if (q != null) {
        LayerQuantSpec spec = q.layers().get(l.index());
        variable(l.name(W_SCALE), new long[] {spec.weights().scaleCount(l.kernelShape())});
        if (l.index() > 0) {
          variable(l.name(q.method() == QatMethod.LSQ_PACT ? IN_ALPHA : IN_SCALE), new long[0]);
        }
      }
    }
  }

  private void variable(String name, long[] shape) {
    Shape s = Shape.of(shape);
    Variable<TFloat32> v = tf.withName(name).variable(s, TFloat32.class);
    Placeholder<TFloat32> feed =
        tf.withName(name + "-load").placeholder(TFloat32.class, Placeholder.shape(s));
    variables.put(name, v);
    values.put(name, isQuantParameter(name) ? tf.math.exp(v) : v);
    loadFeeds.put(name, feed);
    loadOps.add(tf.assign(v, feed));
  }

  /** The value a layer computes with: the variable, or {@code exp} of it for quant params. */
  private Operand<TFloat32> var(LayerShape l, String name) {
    return values.get(l.name(name));
  }

  private static boolean isQuantParameter(String name) {
    String kind = name.substring(name.indexOf('.') + 1);
    return kind.equals(W_SCALE) || kind.equals(IN_SCALE) || kind.equals(IN_ALPHA);
  }

  private Operand<TFloat32> forward(
      boolean training, List<Operand<TFloat32>> inputsOut, boolean recordWeights) {
    ModelQuantization q = config.quantization();
    Operand<TFloat32> x = images;
    for (LayerShape l : layers) {
      if (l.flattensInput(layers)) {
        x = tf.reshape(x, tf.constant(new long[] {-1, l.inChannels()}));
      }
      inputsOut.add(x);
      if (q != null && l.index() > 0) {
        x = quantizeInput(l, x, q);
      }
      Operand<TFloat32> w = var(l, KERNEL);
      Operand<TFloat32> b = var(l, BIAS);
      if (q != null && l.batchNorm()) {
        Operand<TFloat32> factor =
            tf.math.mul(
                var(l, BN_GAMMA),
                tf.math.rsqrt(tf.math.add(var(l, BN_VAR), tf.constant(BN_EPSILON))));
        w = tf.math.mul(w, factor);
        b = tf.math.add(var(l, BN_BETA), tf.math.mul(tf.math.sub(b, var(l, BN_MEAN)), factor));
      }
      if (recordWeights) {
        effectiveKernels.add(w);
        effectiveBiases.add(b);
      }
      if (q != null) {
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
      Operand<org.tensorflow.types.TInt32> axes =
          l.conv() ? tf.constant(new int[] {0, 1, 2}) : tf.constant(new int[] {0});
      mean = tf.math.mean(z, axes);
      variance = tf.math.mean(tf.math.square(tf.math.sub(z, mean)), axes);
      Operand<TFloat32> keep = tf.constant(BN_MOMENTUM);
      Operand<TFloat32> take = tf.constant(1 - BN_MOMENTUM);
      statisticsUpdates.add(
          tf.assign(
              variables.get(l.name(BN_MEAN)),
              tf.math.add(tf.math.mul(var(l, BN_MEAN), keep), tf.math.mul(mean, take))));
      statisticsUpdates.add(
          tf.assign(
              variables.get(l.name(BN_VAR)),
              tf.math.add(tf.math.mul(var(l, BN_VAR), keep), tf.math.mul(variance, take))));
    } else {
      mean = var(l, BN_MEAN);
      variance = var(l, BN_VAR);
    }
    Operand<TFloat32> factor =
        tf.math.mul(
            var(l, BN_GAMMA), tf.math.rsqrt(tf.math.add(variance, tf.constant(BN_EPSILON))));
    return tf.math.add(tf.math.mul(tf.math.sub(z, mean), factor), var(l, BN_BETA));
  }

  private Operand<TFloat32> quantizeWeights(
      LayerShape l, Operand<TFloat32> w, ModelQuantization q) {
    LayerQuantSpec spec = q.layers().get(l.index());
    Operand<TFloat32> scale = var(l, W_SCALE);
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
    Operand<TFloat32> step = tf.stopGradient(tf.math.mul(inputStep(l, q), var(l, W_SCALE)));
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
          var(l, IN_ALPHA), tf.constant((float) q.layers().get(l.index()).input().qmax()));
    }
    return var(l, IN_SCALE);
  }

  private Operand<TFloat32> quantizeInput(LayerShape l, Operand<TFloat32> x, ModelQuantization q) {
    LayerQuantSpec spec = q.layers().get(l.index());
    return switch (q.method()) {
      case STE -> FakeQuant.ste(tf, x, var(l, IN_SCALE), spec.input());
      case LSQ ->
          FakeQuant.lsq(
              tf,
              x,
              var(l, IN_SCALE),
              spec.input(),
              FakeQuant.lsqGradScale(l.inputFeatures(), spec.input().qp()));
      case LSQ_PACT -> {
        pactAlphas.add(var(l, IN_ALPHA));
        yield FakeQuant.pact(tf, x, var(l, IN_ALPHA), spec.input());
      }
    };
  }

  private Operand<TFloat32> addPactPenalty(Operand<TFloat32> crossEntropy) {
    ModelQuantization q = config.quantization();
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

  private List<Variable<TFloat32>> trainableVariables() {
    List<Variable<TFloat32>> out = new ArrayList<>();
    boolean weights =
        config.trainable() == Trainable.WEIGHTS || config.trainable() == Trainable.ALL;
    boolean quant =
        (config.trainable() == Trainable.QUANT_PARAMS || config.trainable() == Trainable.ALL)
            && config.quantization() != null
            && config.quantization().learnsParameters();
    for (Map.Entry<String, Variable<TFloat32>> e : variables.entrySet()) {
      String kind = e.getKey().substring(e.getKey().indexOf('.') + 1);
      boolean isWeight =
          kind.equals(KERNEL) || kind.equals(BIAS) || kind.equals(BN_GAMMA) || kind.equals(BN_BETA);
      boolean isQuant = isQuantParameter(e.getKey());
      if ((weights && isWeight) || (quant && isQuant)) {
        out.add(e.getValue());
      }
    }
    return out;
  }

  private Op buildProjection() {
    ModelQuantization q = config.quantization();
    List<Op> assigns = new ArrayList<>();
    for (LayerShape l : layers) {
      Operand<TFloat32> projected =
          FakeQuant.ste(tf, var(l, KERNEL), var(l, W_SCALE), q.layers().get(l.index()).weights());
      assigns.add(tf.assign(variables.get(l.name(KERNEL)), projected));
    }
    return tf.withControlDependencies(assigns).withName("project").noOp();
  }

  // ---------------------------------------------------------------- state

  /**
   * Sets every variable from {@code state}; tensors this graph does not have are ignored (a QAT
   * state loads into a float graph). A missing or misshapen tensor is an error naming it.
   */
  public void load(ModelState state) {
    List<String> missing = new ArrayList<>();
    for (String name : variables.keySet()) {
      if (!state.has(name)) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(
          "model state lacks " + missing + "; present: " + new TreeSet<>(state.tensors().keySet()));
    }
    List<TFloat32> tensors = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      for (Map.Entry<String, Variable<TFloat32>> e : variables.entrySet()) {
        TensorData data = state.tensor(e.getKey());
        long[] expected = e.getValue().shape().asArray();
        if (!Arrays.equals(expected, data.shape())) {
          throw new IllegalArgumentException(
              e.getKey()
                  + ": shape "
                  + Arrays.toString(data.shape())
                  + " does not match the model's "
                  + Arrays.toString(expected));
        }
        float[] v = data.floats();
        if (isQuantParameter(e.getKey())) {
          v = logarithms(e.getKey(), v);
        }
        TFloat32 t = TFloat32.tensorOf(Shape.of(expected), DataBuffers.of(v, true, false));
        tensors.add(t);
        runner.feed(loadFeeds.get(e.getKey()), t);
      }
      loadOps.forEach(runner::addTarget);
      runner.run().close();
    } finally {
      tensors.forEach(TFloat32::close);
    }
  }

  private static float[] logarithms(String name, float[] v) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      if (!(v[i] > 0) || Float.isInfinite(v[i])) {
        throw new IllegalArgumentException(
            name
                + "["
                + i
                + "]: step sizes and clipping values must be finite and > 0, got "
                + v[i]);
      }
      out[i] = (float) Math.log(v[i]);
    }
    return out;
  }

  /** The current value of every variable (quantization parameters as themselves, not logs). */
  public ModelState export() {
    Session.Runner runner = session.runner();
    values.values().forEach(runner::fetch);
    Map<String, TensorData> out = new LinkedHashMap<>();
    try (Result result = runner.run()) {
      int i = 0;
      for (Map.Entry<String, Variable<TFloat32>> e : variables.entrySet()) {
        TFloat32 t = (TFloat32) result.get(i++);
        out.put(e.getKey(), TensorData.ofFloats(t.shape().asArray(), toArray(t)));
      }
    }
    return new ModelState(out);
  }

  /**
   * Kernel and bias of every layer as the layer uses them before weight quantization: with batch
   * norm folded in quantized graphs, computed by TensorFlow so that the projection sees exactly the
   * values the fake-quant graph quantizes. Alternates kernel, bias per layer.
   */
  public List<float[]> effectiveWeights() {
    Session.Runner runner = session.runner();
    for (int i = 0; i < layers.size(); i++) {
      runner.fetch(effectiveKernels.get(i)).fetch(effectiveBiases.get(i));
    }
    List<float[]> out = new ArrayList<>();
    try (Result result = runner.run()) {
      for (int i = 0; i < 2 * layers.size(); i++) {
        out.add(toArray((TFloat32) result.get(i)));
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- training and inference

  /** Trains the variables selected by the config's {@link Trainable} on {@code data}. */
  public FitResult fit(Dataset data, FitOptions options, TrainingListener listener) {
    if (trainOp == null) {
      throw new IllegalStateException(
          "this graph has no variables to train (trainable=" + config.trainable() + ")");
    }
    int n = data.size();
    int batch = Math.min(options.batchSize(), n);
    int steps = (n + batch - 1) / batch;
    long totalSteps = (long) steps * options.epochs();
    int pixels = config.model().inputHeight() * config.model().inputWidth();
    int classes = config.model().numClasses();
    float[] x = new float[batch * pixels];
    float[] y = new float[batch * classes];
    List<Double> epochLosses = new ArrayList<>();
    long phaseStart = System.nanoTime();
    long trainedSamples = 0;
    for (int epoch = options.startEpoch(); epoch < options.epochs(); epoch++) {
      int[] order = permutation(n, options.seed() * 1_000_003L + epoch);
      double lossSum = 0;
      long epochStart = System.nanoTime();
      long lastReport = epochStart;
      double rate = options.learningRate();
      for (int step = 0; step < steps; step++) {
        int from = step * batch;
        int to = Math.min(n, from + batch);
        data.fillBatch(order, from, to, x, y);
        rate =
            options.learningRate()
                * options.schedule().factor((long) epoch * steps + step, totalSteps);
        float stepLoss = trainStep(x, y, to - from, pixels, classes, (float) rate);
        if (!Float.isFinite(stepLoss)) {
          throw new NonFiniteLossException(stepLoss, epoch, step, rate);
        }
        if (projectOp != null) {
          session.run(projectOp);
        }
        lossSum += stepLoss;
        trainedSamples += to - from;
        long now = System.nanoTime();
        if (now - lastReport > PROGRESS_INTERVAL_NANOS) {
          lastReport = now;
          listener.onProgress(
              progress(
                  epoch, options.epochs(), step + 1, steps, lossSum, (long) to, epochStart, rate));
        }
      }
      epochLosses.add(lossSum / steps);
      listener.onEpochEnd(
          progress(epoch, options.epochs(), steps, steps, lossSum, n, epochStart, rate), this);
    }
    double seconds = (System.nanoTime() - phaseStart) / 1e9;
    return new FitResult(epochLosses, seconds > 0 ? trainedSamples / seconds : 0, seconds);
  }

  private static TrainingProgress progress(
      int epoch,
      int epochs,
      int step,
      int steps,
      double lossSum,
      long samples,
      long start,
      double lr) {
    double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
    return new TrainingProgress(epoch, epochs, step, steps, lossSum / step, samples / seconds, lr);
  }

  private float trainStep(float[] x, float[] y, int count, int pixels, int classes, float rate) {
    try (TFloat32 xs = batchTensor(x, count, pixels);
        TFloat32 ys =
            TFloat32.tensorOf(
                Shape.of(count, classes),
                DataBuffers.of(y, true, false).narrow((long) count * classes));
        TFloat32 lr = TFloat32.scalarOf(rate)) {
      try (Result result = trainRunner(xs, ys, lr).fetch(loss).run()) {
        return ((TFloat32) result.get(0)).getFloat();
      }
    }
  }

  /** One optimizer step on a batch: the feeds, the train op and the batch-norm updates. */
  private Session.Runner trainRunner(TFloat32 xs, TFloat32 ys, TFloat32 lr) {
    Session.Runner runner =
        session
            .runner()
            .feed(images, xs)
            .feed(labels, ys)
            .feed(learningRate, lr)
            .addTarget(trainOp);
    statisticsUpdates.forEach(runner::addTarget);
    return runner;
  }

  /**
   * Kernel time per op type (microseconds, summed over {@code steps} traced training steps on the
   * first batches of {@code data}): where a training step spends its time. Op types come from
   * TensorFlow's timeline labels, so the ops Grappler fuses or inserts are counted as they ran.
   */
  public Map<String, Long> profileTrainSteps(Dataset data, int batchSize, int steps, float rate) {
    if (trainOp == null) {
      throw new IllegalStateException("this graph has no variables to train");
    }
    int batch = Math.min(batchSize, data.size());
    int pixels = config.model().inputHeight() * config.model().inputWidth();
    int classes = config.model().numClasses();
    float[] x = new float[batch * pixels];
    float[] y = new float[batch * classes];
    int[] order = permutation(data.size(), 1);
    RunOptions trace =
        RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
    Map<String, Long> micros = new TreeMap<>();
    for (int step = 0; step < steps; step++) {
      int from = (step * batch) % Math.max(1, data.size() - batch + 1);
      data.fillBatch(order, from, from + batch, x, y);
      try (TFloat32 xs = batchTensor(x, batch, pixels);
          TFloat32 ys =
              TFloat32.tensorOf(Shape.of(batch, classes), DataBuffers.of(y, true, false));
          TFloat32 lr = TFloat32.scalarOf(rate)) {
        try (Result result = trainRunner(xs, ys, lr).setOptions(trace).runAndFetchMetadata()) {
          RunMetadata metadata = result.getMetadata().orElseThrow();
          for (DeviceStepStats device : metadata.getStepStats().getDevStatsList()) {
            for (NodeExecStats node : device.getNodeStatsList()) {
              micros.merge(
                  opType(node.getTimelineLabel(), node.getNodeName()),
                  node.getOpEndRelMicros() - node.getOpStartRelMicros(),
                  Long::sum);
            }
          }
        }
      }
    }
    return micros;
  }

  /** "name = Type(inputs)" → "Type"; the node name when the label has no type. */
  private static String opType(String timelineLabel, String nodeName) {
    int eq = timelineLabel.indexOf(" = ");
    int paren = timelineLabel.indexOf('(', eq + 3);
    return eq >= 0 && paren > eq ? timelineLabel.substring(eq + 3, paren) : nodeName;
  }

  private TFloat32 batchTensor(float[] x, int count, int pixels) {
    ModelSpec spec = config.model();
    Shape shape =
        spec.convChannels().isEmpty()
            ? Shape.of(count, pixels)
            : Shape.of(count, spec.inputHeight(), spec.inputWidth(), 1);
    return TFloat32.tensorOf(shape, DataBuffers.of(x, true, false).narrow((long) count * pixels));
  }

  /** The predicted class of every sample of {@code data}. */
  public int[] predict(Dataset data) {
    int n = data.size();
    int[] out = new int[n];
    forEachBatch(
        data,
        n,
        (from, xs, count) -> {
          try (Result result = session.runner().feed(images, xs).fetch(predictions).run()) {
            TInt64 p = (TInt64) result.get(0);
            for (int i = 0; i < count; i++) {
              out[from + i] = (int) p.getLong(i);
            }
          }
        });
    return out;
  }

  /**
   * Feeds the first {@code maxSamples} samples of {@code data} and passes the (unquantized) values
   * entering each layer to {@code observers.get(layerIndex)}; entries may be null to skip a layer.
   * Used to initialise and calibrate activation step sizes.
   */
  public void observeLayerInputs(Dataset data, int maxSamples, List<RangeObserver> observers) {
    if (observers.size() != layers.size()) {
      throw new IllegalArgumentException(
          "observers: expected one per layer (" + layers.size() + "), got " + observers.size());
    }
    forEachBatch(
        data,
        Math.min(maxSamples, data.size()),
        (from, xs, count) -> {
          Session.Runner runner = session.runner().feed(images, xs);
          List<Integer> fetched = new ArrayList<>();
          for (int i = 0; i < layers.size(); i++) {
            if (observers.get(i) != null) {
              runner.fetch(layerInputs.get(i));
              fetched.add(i);
            }
          }
          if (fetched.isEmpty()) {
            return;
          }
          try (Result result = runner.run()) {
            for (int k = 0; k < fetched.size(); k++) {
              observers.get(fetched.get(k)).observe(toArray((TFloat32) result.get(k)));
            }
          }
        });
  }

  private interface BatchAction {
    void accept(int from, TFloat32 images, int count);
  }

  private void forEachBatch(Dataset data, int n, BatchAction action) {
    int pixels = config.model().inputHeight() * config.model().inputWidth();
    int batch = Math.min(INFERENCE_BATCH, Math.max(1, n));
    float[] x = new float[batch * pixels];
    float[] y = new float[batch * config.model().numClasses()];
    int[] identity = new int[n];
    Arrays.setAll(identity, i -> i);
    for (int from = 0; from < n; from += batch) {
      int to = Math.min(n, from + batch);
      data.fillBatch(identity, from, to, x, y);
      try (TFloat32 xs = batchTensor(x, to - from, pixels)) {
        action.accept(from, xs, to - from);
      }
    }
  }

  private static float[] toArray(TFloat32 t) {
    float[] out = new float[Math.toIntExact(t.size())];
    t.copyTo(DataBuffers.of(out, false, false));
    return out;
  }

  static int[] permutation(int n, long seed) {
    int[] p = new int[n];
    Arrays.setAll(p, i -> i);
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
