package io.qatfleet.core.model;

import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.quant.ModelQuantization;
import io.qatfleet.core.quant.RangeObserver;
import io.qatfleet.core.train.BatchFeeder;
import io.qatfleet.core.train.Distillation;
import io.qatfleet.core.train.OptimizerKind;
import io.qatfleet.core.train.ScheduledOptimizers;
import io.qatfleet.core.train.Trainable;
import java.util.ArrayList;
import java.util.List;
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
 * <p>A graph loads and exports {@link ModelState}s, predicts classes, shows range observers the
 * values entering each layer, gives the projection the weights as the layers use them, and takes
 * one training step at a time ({@link #trainStep}); the loop over epochs and batches is {@link
 * io.qatfleet.core.train.Trainer}'s. ModelVariables builds the variables and moves states in and
 * out of them, ForwardPass builds the layers.
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

  /**
   * What to build.
   *
   * @param quantization null for a float graph
   * @param hardProjection after each optimizer step, overwrite the kernels with their projection
   *     onto the integer grid (no float shadow weights); quantized graphs without batch norm only
   * @param teacher train against the distillation loss with this float model's logits as the
   *     teacher; null to train against the labels alone
   */
  public record Config(
      ModelSpec model,
      ModelQuantization quantization,
      Trainable trainable,
      OptimizerKind optimizer,
      float momentum,
      boolean hardProjection,
      Teacher teacher) {
    public Config {
      if (teacher != null && trainable == Trainable.NONE) {
        throw new IllegalArgumentException("teacher: needs a graph that trains");
      }
      if (hardProjection && quantization == null) {
        throw new IllegalArgumentException("hardProjection: needs a quantized graph");
      }
      if (hardProjection && model.graph().hasBatchNorm()) {
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

    /** A graph that learns from the labels alone. */
    public Config(
        ModelSpec model,
        ModelQuantization quantization,
        Trainable trainable,
        OptimizerKind optimizer,
        float momentum,
        boolean hardProjection) {
      this(model, quantization, trainable, optimizer, momentum, hardProjection, null);
    }

    /** Inference only. */
    public static Config inference(ModelSpec model, ModelQuantization quantization) {
      return new Config(model, quantization, Trainable.NONE, OptimizerKind.ADAM, 0f, false);
    }

    /** This config learning from {@code newTeacher} too (null: from the labels alone). */
    public Config withTeacher(Teacher newTeacher) {
      return new Config(
          model, quantization, trainable, optimizer, momentum, hardProjection, newTeacher);
    }
  }

  /**
   * The frozen float model a quantized graph distils from: its weights become variables of the
   * graph (under the name scope {@code teacher/}) that no optimizer updates, loaded once when the
   * graph is built, and its float forward pass (batch norm with moving statistics) gives the
   * teacher logits of every batch in the same session run as the student's.
   */
  public record Teacher(Distillation distillation, ModelState weights) {
    public Teacher {
      if (distillation == null || weights == null) {
        throw new IllegalArgumentException("teacher: needs distillation settings and weights");
      }
    }
  }

  private final Config config;
  private final List<LayerShape> layers;
  private final Graph graph;
  private final Session session;
  private final Placeholder<TFloat32> images;
  private final Placeholder<TFloat32> labels;
  private final ModelVariables variables;
  private final ForwardPass forward;
  private final Operand<TFloat32> loss;
  private final Operand<TFloat32> evalLosses;
  private final Operand<TInt64> predictions;
  private final Op trainOp;

  /**
   * The sum of every trained variable: finite exactly while they all are. The loss alone does not
   * show a NaN weight: a fake quantizer, a ReLU or a pooling op between it and the loss may drop
   * it, and the optimizer keeps the NaN.
   */
  private final Operand<TFloat32> trainedSum;

  private final Operand<TFloat32> learningRate;
  private final Op projectOp;

  private ModelGraph(Config config) {
    this.config = config;
    LayerGraph layerGraph = config.model().graph();
    this.layers = layerGraph.layers();
    this.graph = new Graph();
    try {
      Ops tf = Ops.create(graph);
      ModelSpec spec = config.model();
      Shape inputShape =
          layerGraph.flatInput()
              ? Shape.of(-1, (long) spec.inputHeight() * spec.inputWidth() * spec.inputChannels())
              : Shape.of(-1, spec.inputHeight(), spec.inputWidth(), spec.inputChannels());
      images = tf.withName("images").placeholder(TFloat32.class, Placeholder.shape(inputShape));
      labels =
          tf.withName("labels")
              .placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, spec.numClasses())));
      variables = new ModelVariables(tf, layers, config.quantization());
      forward = new ForwardPass(tf, layerGraph, config.quantization(), variables);

      boolean batchStatistics = layerGraph.hasBatchNorm() && config.quantization() == null;
      Operand<TFloat32> evalLogits = forward.logits(images, false, true);
      Operand<TFloat32> trainLogits =
          batchStatistics && config.trainable() != Trainable.NONE
              ? forward.logits(images, true, false)
              : evalLogits;
      predictions = tf.math.argMax(evalLogits, tf.constant(1), TInt64.class);
      evalLosses = tf.nn.softmaxCrossEntropyWithLogits(evalLogits, labels).loss();
      Operand<TFloat32> objective;
      ModelVariables teacherVariables = null;
      if (config.teacher() == null) {
        objective =
            tf.math.mean(
                tf.nn.softmaxCrossEntropyWithLogits(trainLogits, labels).loss(), tf.constant(0));
      } else {
        Ops teacherOps = tf.withSubScope("teacher");
        teacherVariables = new ModelVariables(teacherOps, layers, null);
        Operand<TFloat32> teacherLogits =
            new ForwardPass(teacherOps, layerGraph, null, teacherVariables)
                .logits(images, false, false);
        objective = config.teacher().distillation().loss(tf, trainLogits, teacherLogits, labels);
      }
      loss = forward.withPactPenalty(objective);

      List<Variable<TFloat32>> trained =
          variables.trainable(config.trainable(), config.quantization());
      if (config.trainable() == Trainable.NONE || trained.isEmpty()) {
        trainOp = null;
        trainedSum = null;
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
        List<Operand<TFloat32>> sums = new ArrayList<>();
        for (Variable<TFloat32> v : trained) {
          sums.add(tf.reduceSum(tf.reshape(v, tf.constant(new int[] {-1})), tf.constant(0)));
        }
        trainedSum = tf.math.addN(sums);
        learningRate = optimizer.learningRate();
      }
      projectOp = config.hardProjection() ? forward.projection() : null;
      Session opened = new Session(graph, TensorFlowThreads.current().configProto());
      try {
        opened.initialize();
        if (teacherVariables != null) {
          teacherVariables.load(opened, config.teacher().weights());
        }
      } catch (RuntimeException e) {
        opened.close();
        throw e;
      }
      session = opened;
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

  // ---------------------------------------------------------------- state

  /**
   * Sets every variable from {@code state}; tensors this graph does not have are ignored (a QAT
   * state loads into a float graph). A missing or misshapen tensor is an error naming it.
   */
  public void load(ModelState state) {
    variables.load(session, state);
  }

  /** The current value of every variable (quantization parameters as themselves, not logs). */
  public ModelState export() {
    return variables.export(session);
  }

  /**
   * Kernel and bias of every layer as the layer uses them before weight quantization: with batch
   * norm folded in quantized graphs, computed by TensorFlow so that the projection sees exactly the
   * values the fake-quant graph quantizes. Alternates kernel, bias per layer.
   */
  public List<float[]> effectiveWeights() {
    Session.Runner runner = session.runner();
    for (int i = 0; i < layers.size(); i++) {
      runner.fetch(forward.effectiveKernels().get(i)).fetch(forward.effectiveBiases().get(i));
    }
    List<float[]> out = new ArrayList<>();
    try (Result result = runner.run()) {
      for (int i = 0; i < 2 * layers.size(); i++) {
        out.add(toArray((TFloat32) result.get(i)));
      }
    }
    return out;
  }

  /** Test hook: {@link #trainStep}'s loss on a batch, then its gradient per named variable. */
  List<float[]> lossAndGradients(TFloat32 xs, TFloat32 ys, List<String> names) {
    Output<?>[] wrt = names.stream().map(n -> variables.named(n).asOutput()).toArray(Output[]::new);
    Session.Runner runner = session.runner().feed(images, xs).feed(labels, ys).fetch(loss);
    for (Output<?> g : wrt.length == 0 ? wrt : graph.addGradients(loss.asOutput(), wrt)) {
      runner.fetch(g);
    }
    List<float[]> out = new ArrayList<>();
    try (Result result = runner.run()) {
      for (int i = 0; i <= wrt.length; i++) {
        out.add(toArray((TFloat32) result.get(i)));
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- training steps

  /** Whether this graph has an optimizer: its config trains at least one of its variables. */
  public boolean trains() {
    return trainOp != null;
  }

  /**
   * One optimizer step on a batch ({@code images} shaped as the model's input, {@code labels}
   * one-hot) at learning rate {@code rate}, with the batch-norm statistics updates of a float
   * graph; returns the loss on the batch.
   *
   * @throws IllegalStateException if this graph {@linkplain #trains() trains} nothing
   */
  public float trainStep(TFloat32 images, TFloat32 labels, float rate) {
    try (TFloat32 lr = TFloat32.scalarOf(rate);
        Result result = trainRunner(images, labels, lr).fetch(loss).run()) {
      return ((TFloat32) result.get(0)).getFloat();
    }
  }

  /**
   * Whether every variable this graph trains is finite: a run of its own, one pass over them, which
   * the training loop makes every few steps rather than in every step's run.
   *
   * @throws IllegalStateException if this graph {@linkplain #trains() trains} nothing
   */
  public boolean trainedVariablesFinite() {
    if (trainedSum == null) {
      throw new IllegalStateException(
          "this graph has no variables to train (trainable=" + config.trainable() + ")");
    }
    try (Result result = session.runner().fetch(trainedSum).run()) {
      return Float.isFinite(((TFloat32) result.get(0)).getFloat());
    }
  }

  /**
   * The same step as {@link #trainStep}, traced at {@code FULL_TRACE}: TensorFlow's per-node kernel
   * timings of the run.
   */
  public RunMetadata traceTrainStep(TFloat32 images, TFloat32 labels, float rate) {
    RunOptions trace =
        RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
    try (TFloat32 lr = TFloat32.scalarOf(rate);
        Result result = trainRunner(images, labels, lr).setOptions(trace).runAndFetchMetadata()) {
      return result.getMetadata().orElseThrow();
    }
  }

  /** One optimizer step on a batch: the feeds, the train op and the batch-norm updates. */
  private Session.Runner trainRunner(TFloat32 xs, TFloat32 ys, TFloat32 lr) {
    if (trainOp == null) {
      throw new IllegalStateException(
          "this graph has no variables to train (trainable=" + config.trainable() + ")");
    }
    Session.Runner runner =
        session
            .runner()
            .feed(images, xs)
            .feed(labels, ys)
            .feed(learningRate, lr)
            .addTarget(trainOp);
    forward.statisticsUpdates().forEach(runner::addTarget);
    return runner;
  }

  /**
   * Overwrites every kernel with its projection onto the integer grid of its step sizes.
   *
   * @throws IllegalStateException unless the config asks for {@code hardProjection}
   */
  public void projectKernels() {
    if (projectOp == null) {
      throw new IllegalStateException("this graph was built without hardProjection");
    }
    session.run(projectOp);
  }

  // ---------------------------------------------------------------- inference

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

  /** Predicted classes and per-sample cross-entropy of the inference pass. */
  public record Scores(int[] predictions, double meanLoss) {}

  /**
   * The predicted class of each of the first {@code maxSamples} samples of {@code data} and their
   * mean cross-entropy (without the PACT penalty).
   */
  public Scores score(Dataset data, int maxSamples) {
    int n = Math.min(maxSamples, data.size());
    int[] out = new int[n];
    double lossSum = 0;
    int batch = Math.min(INFERENCE_BATCH, Math.max(1, n));
    BatchFeeder feeder = new BatchFeeder(data, config.model(), batch);
    int[] identity = BatchFeeder.inOrder(n);
    for (int from = 0; from < n; from += batch) {
      int to = Math.min(n, from + batch);
      try (BatchFeeder.Batch b = feeder.batch(identity, from, to);
          Result result =
              session
                  .runner()
                  .feed(images, b.images())
                  .feed(labels, b.labels())
                  .fetch(predictions)
                  .fetch(evalLosses)
                  .run()) {
        TInt64 p = (TInt64) result.get(0);
        TFloat32 l = (TFloat32) result.get(1);
        for (int i = 0; i < to - from; i++) {
          out[from + i] = (int) p.getLong(i);
          lossSum += l.getFloat(i);
        }
      }
    }
    return new Scores(out, n == 0 ? 0 : lossSum / n);
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
          // Layers reading the same value (e.g. a residual block's conv and its shortcut) share
          // one fetch: a run may not fetch one output twice.
          List<Operand<TFloat32>> fetched = new ArrayList<>();
          int[] slot = new int[layers.size()];
          for (int i = 0; i < layers.size(); i++) {
            slot[i] = -1;
            if (observers.get(i) != null) {
              Operand<TFloat32> input = forward.layerInputs().get(i);
              int k = fetched.indexOf(input);
              if (k < 0) {
                k = fetched.size();
                fetched.add(input);
                runner.fetch(input);
              }
              slot[i] = k;
            }
          }
          if (fetched.isEmpty()) {
            return;
          }
          try (Result result = runner.run()) {
            float[][] values = new float[fetched.size()][];
            for (int i = 0; i < layers.size(); i++) {
              if (slot[i] >= 0) {
                if (values[slot[i]] == null) {
                  values[slot[i]] = toArray((TFloat32) result.get(slot[i]));
                }
                observers.get(i).observe(values[slot[i]]);
              }
            }
          }
        });
  }

  private interface BatchAction {
    void accept(int from, TFloat32 images, int count);
  }

  /** The first {@code n} samples of {@code data} in order, in batches of up to 1000 images. */
  private void forEachBatch(Dataset data, int n, BatchAction action) {
    int batch = Math.min(INFERENCE_BATCH, Math.max(1, n));
    BatchFeeder feeder = new BatchFeeder(data, config.model(), batch);
    int[] identity = BatchFeeder.inOrder(n);
    for (int from = 0; from < n; from += batch) {
      int to = Math.min(n, from + batch);
      try (TFloat32 xs = feeder.images(identity, from, to)) {
        action.accept(from, xs, to - from);
      }
    }
  }

  static float[] toArray(TFloat32 t) {
    float[] out = new float[Math.toIntExact(t.size())];
    t.copyTo(DataBuffers.of(out, false, false));
    return out;
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
