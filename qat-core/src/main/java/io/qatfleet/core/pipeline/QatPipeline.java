package io.qatfleet.core.pipeline;

import io.qatfleet.core.data.DataSource;
import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.DatasetSplits;
import io.qatfleet.core.data.SplitSpec;
import io.qatfleet.core.eval.ClassificationMetrics;
import io.qatfleet.core.infer.IntegerEngine;
import io.qatfleet.core.infer.QuantizedLayer;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.job.DataCheck;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelGraph;
import io.qatfleet.core.model.ModelInit;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.quant.LayerQuantSpec;
import io.qatfleet.core.quant.ModelQuantization;
import io.qatfleet.core.quant.Projection;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantSpec;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.quant.QuantizedTensor;
import io.qatfleet.core.quant.RangeObserver;
import io.qatfleet.core.quant.RangeObservers;
import io.qatfleet.core.train.Distillation;
import io.qatfleet.core.train.FitOptions;
import io.qatfleet.core.train.FitResult;
import io.qatfleet.core.train.LrSchedule;
import io.qatfleet.core.train.Trainable;
import io.qatfleet.core.train.Trainer;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.core.train.TrainingSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The stages of a QAT job on one machine: float baseline, initialisation of the quantization
 * parameters by range observers, QAT (float shadow weights, fake-quant forward, STE backward),
 * calibration of the quantization parameters with the weights frozen, projection onto the integer
 * grid, and evaluation in float, in fake quantization and in integer arithmetic. The single-process
 * experiment runs them in a row; each service of the fleet runs its own.
 */
public final class QatPipeline {
  /** Calibration samples fed to the activation observers. */
  public static final int OBSERVER_SAMPLES = 2000;

  private final JobSpec job;
  private final DatasetSplits data;
  private ModelQuantization quantization;

  public QatPipeline(JobSpec job, DatasetSplits data) {
    this.job = job.requireValid();
    this.data = data;
  }

  /**
   * A pipeline for {@code job} on the splits its data spec asks for (the calibration split is
   * seeded by the job's training seed, so every service holds out the same images).
   */
  public static QatPipeline forJob(JobSpec job, DatasetLoader loader) {
    SplitSpec split =
        new SplitSpec(
            job.data().calibrationSize(),
            job.data().trainLimit(),
            job.data().testLimit(),
            job.training().seed());
    DataSource source = job.data().source();
    DatasetSplits data =
        source == null
            ? loader.load(job.data().datasetId(), split)
            : loader.load(source, DataCheck.inputShape(job.model()), split);
    return new QatPipeline(job, data);
  }

  public JobSpec job() {
    return job;
  }

  public DatasetSplits data() {
    return data;
  }

  /**
   * The job's quantization, per layer. An automatic spec has one only once the trainer chose its
   * bits ({@link QuantizationSpec#resolved}); until then only the float stages run.
   */
  public ModelQuantization quantization() {
    if (quantization == null) {
      quantization = ModelQuantization.of(job.quantization(), job.model().layerCount());
    }
    return quantization;
  }

  /** Seeded He-initialised float weights. */
  public ModelState initialState() {
    return ModelInit.initialState(job.model(), job.training().seed());
  }

  /** Float training of all weights from {@code start}, epochs {@code startEpoch..}. */
  public StageResult trainFloat(ModelState start, int startEpoch, TrainingListener listener) {
    TrainingSpec t = job.training();
    return train(
        floatTrainingConfig(),
        start,
        data.train(),
        new FitOptions(
            t.floatEpochs(), startEpoch, t.batchSize(), t.learningRate(), t.schedule(), t.seed()),
        listener);
  }

  /**
   * Adds the quantization parameters to a float state: weight step sizes from the weight observer
   * (per channel where asked), activation step sizes (or PACT clipping values) from the activation
   * observer on the float model's activations over calibration samples.
   */
  public ModelState initQuantization(ModelState floatState) {
    QuantizationSpec qs = job.quantization();
    List<LayerShape> layers = LayerShape.of(job.model());
    List<RangeObserver> observers = new ArrayList<>();
    for (LayerShape l : layers) {
      observers.add(
          l.readsImage()
              ? null
              : RangeObservers.create(
                  qs.activationObserver(),
                  quantization().layers().get(l.index()).input(),
                  qs.percentile()));
    }
    List<float[]> weights;
    try (ModelGraph g = ModelGraph.build(floatConfig(Trainable.NONE), floatState)) {
      g.observeLayerInputs(data.calibration(), OBSERVER_SAMPLES, observers);
      weights = g.effectiveWeights();
    }
    ModelState out = floatState;
    for (LayerShape l : layers) {
      LayerQuantSpec spec = quantization().layers().get(l.index());
      float[] kernel = foldedKernel(l, floatState, weights.get(2 * l.index()));
      int channels = spec.weights().scaleCount(l.kernelShape());
      float[] scales;
      if (channels == 1) {
        RangeObserver o =
            RangeObservers.create(qs.weightObserver(), spec.weights(), qs.percentile());
        o.observe(kernel);
        scales = new float[] {o.scale()};
      } else {
        scales =
            RangeObservers.channelScales(
                qs.weightObserver(), spec.weights(), kernel, channels, qs.percentile());
      }
      out = out.with(l.name(ModelGraph.W_SCALE), new long[] {channels}, scales);
      if (!l.readsImage()) {
        float s = observers.get(l.index()).scale();
        if (quantization().method() == QatMethod.LSQ_PACT) {
          out =
              out.with(
                  l.name(ModelGraph.IN_ALPHA), new long[0], new float[] {s * spec.input().qmax()});
        } else {
          out = out.with(l.name(ModelGraph.IN_SCALE), new long[0], new float[] {s});
        }
      }
    }
    return out;
  }

  /**
   * A state whose step sizes were learned for the quantizers of {@code from}, carried over to this
   * job's: where a layer's bits changed, its weight step sizes (and, with LSQ, its input step size)
   * are scaled by {@code Qp(from) / Qp(this)}, so that every quantizer keeps its clipping range and
   * only its grid gets finer or coarser. PACT clipping values are ranges already and stay.
   */
  public ModelState carryStepSizes(ModelState state, QuantizationSpec from) {
    ModelQuantization old = ModelQuantization.of(from, job.model().layerCount());
    ModelState out = state;
    for (LayerShape l : LayerShape.of(job.model())) {
      LayerQuantSpec was = old.layers().get(l.index());
      LayerQuantSpec now = quantization().layers().get(l.index());
      out = rescale(out, l.name(ModelGraph.W_SCALE), was.weights().qp(), now.weights().qp());
      if (!l.readsImage() && quantization().method() != QatMethod.LSQ_PACT) {
        out = rescale(out, l.name(ModelGraph.IN_SCALE), was.input().qp(), now.input().qp());
      }
    }
    return out;
  }

  private static ModelState rescale(ModelState state, String name, int qpWas, int qpNow) {
    if (qpWas == qpNow || !state.has(name)) {
      return state;
    }
    float[] steps = state.floats(name).clone();
    for (int i = 0; i < steps.length; i++) {
      steps[i] = steps[i] * qpWas / qpNow;
    }
    return state.with(name, state.tensor(name).shape(), steps);
  }

  /**
   * The kernel the quantized graph will quantize: with batch norm, scaled by {@code γ/sqrt(σ²+ε)}
   * per output channel, the kernel's last axis for every layer kind (HWIO conv kernels, depthwise
   * {@code [k, k, 1, C]}, dense {@code [in, out]}); computed here in Java: this only seeds the step
   * sizes.
   */
  private static float[] foldedKernel(LayerShape l, ModelState state, float[] kernel) {
    if (!l.batchNorm()) {
      return kernel;
    }
    float[] gamma = state.floats(l.name(ModelGraph.BN_GAMMA));
    float[] variance = state.floats(l.name(ModelGraph.BN_VAR));
    float[] out = kernel.clone();
    int c = l.outChannels();
    for (int i = 0; i < out.length; i++) {
      out[i] *= (float) (gamma[i % c] / Math.sqrt(variance[i % c] + ModelGraph.BN_EPSILON));
    }
    return out;
  }

  /**
   * QAT: trains the weights (and, for LSQ and PACT, the quantization parameters jointly) through
   * the fake-quantized graph; with {@code training.distillation} in the spec, against the
   * distillation loss with {@code teacher} (the float model) frozen in the same graph.
   *
   * @param teacher the float weights to distil from; required when the spec asks for distillation,
   *     ignored otherwise
   */
  public StageResult trainQat(
      ModelState start,
      ModelState teacher,
      int epochs,
      double learningRate,
      int startEpoch,
      TrainingListener listener) {
    TrainingSpec t = job.training();
    return train(
        qatConfig(teacher),
        start,
        data.train(),
        new FitOptions(epochs, startEpoch, t.batchSize(), learningRate, t.schedule(), t.seed()),
        listener);
  }

  /** The graph QAT trains, distilling from {@code teacher} when the spec asks for it. */
  public ModelGraph.Config qatConfig(ModelState teacher) {
    Distillation d = job.training().distillation();
    if (d == null) {
      return qatConfig();
    }
    if (teacher == null) {
      throw new IllegalArgumentException(
          "training.distillation: needs the float model's weights as the teacher");
    }
    return qatConfig().withTeacher(new ModelGraph.Teacher(d, teacher));
  }

  /** The graph QAT trains: weights, and for LSQ and PACT the quantization parameters too. */
  public ModelGraph.Config qatConfig() {
    TrainingSpec t = job.training();
    Trainable trainable = quantization().learnsParameters() ? Trainable.ALL : Trainable.WEIGHTS;
    return new ModelGraph.Config(
        job.model(),
        quantization(),
        trainable,
        t.optimizer(),
        t.momentum().floatValue(),
        t.hardProjection());
  }

  /** The graph float training trains. */
  public ModelGraph.Config floatTrainingConfig() {
    return floatConfig(Trainable.WEIGHTS);
  }

  /** QAT with the job's own epochs and learning rate, without distillation. */
  public StageResult trainQat(ModelState start, TrainingListener listener) {
    return trainQat(start, null, listener);
  }

  /** QAT with the job's own epochs and learning rate, distilling from {@code teacher} if asked. */
  public StageResult trainQat(ModelState start, ModelState teacher, TrainingListener listener) {
    return trainQat(
        start, teacher, job.training().qatEpochs(), job.training().qatLearningRate(), 0, listener);
  }

  /**
   * Learns the step sizes and clipping values on the calibration split with the weights frozen.
   * With fixed-range STE there is nothing to learn and the state is returned unchanged.
   */
  public StageResult calibrate(ModelState state, TrainingListener listener) {
    TrainingSpec t = job.training();
    if (!quantization().learnsParameters() || t.calibrationEpochs() == 0) {
      return new StageResult(state, null, 0, 0);
    }
    ModelGraph.Config config =
        new ModelGraph.Config(
            job.model(),
            quantization(),
            Trainable.QUANT_PARAMS,
            t.optimizer(),
            t.momentum().floatValue(),
            false);
    return train(
        config,
        state,
        data.calibration(),
        new FitOptions(
            t.calibrationEpochs(),
            0,
            t.batchSize(),
            t.calibrationLearningRate(),
            LrSchedule.CONSTANT,
            t.seed()),
        listener);
  }

  /**
   * Projects the weights onto the integer grid: int8 levels per weight layer of the graph (batch
   * norm folded), int32 biases at the accumulator scale {@code s_in·s_w}, and the step size of each
   * layer's input (the pixel step 1/255 for a layer that reads the image).
   */
  public QuantizedModel project(ModelState state) {
    List<float[]> weights;
    try (ModelGraph g = ModelGraph.build(quantConfig(), state)) {
      weights = g.effectiveWeights();
    }
    List<QuantizedLayer> layers = new ArrayList<>();
    for (LayerShape l : LayerShape.of(job.model())) {
      LayerQuantSpec spec = quantization().layers().get(l.index());
      float[] scales = state.floats(l.name(ModelGraph.W_SCALE));
      QuantizedTensor kernel =
          Projection.project(weights.get(2 * l.index()), l.kernelShape(), scales, spec.weights());
      float inputScale = inputScale(l, spec.input(), state);
      float[] bias = weights.get(2 * l.index() + 1);
      int[] biasLevels = new int[bias.length];
      for (int c = 0; c < bias.length; c++) {
        // float32 arithmetic, as the graph's bias quantizer does it
        float accumulatorStep = inputScale * scales[scales.length == 1 ? 0 : c];
        biasLevels[c] = (int) Math.rint(bias[c] / accumulatorStep);
      }
      layers.add(new QuantizedLayer(l, kernel, biasLevels, inputScale, spec.input()));
    }
    return new QuantizedModel(job.model(), layers);
  }

  private float inputScale(LayerShape l, QuantSpec input, ModelState state) {
    if (l.readsImage()) {
      return ModelGraph.PIXEL_STEP;
    }
    if (quantization().method() == QatMethod.LSQ_PACT) {
      // The same float32 division as the graph's PACT step size.
      return state.floats(l.name(ModelGraph.IN_ALPHA))[0] / (float) input.qmax();
    }
    return state.floats(l.name(ModelGraph.IN_SCALE))[0];
  }

  /** Float model on the test split. */
  public Evaluation evaluateFloat(ModelState state) {
    try (ModelGraph g = ModelGraph.build(floatConfig(Trainable.NONE), state)) {
      return evaluation(g.predict(data.test()));
    }
  }

  /** Fake-quantized graph on the test split. */
  public Evaluation evaluateFakeQuant(ModelState state) {
    return evaluateFakeQuant(state, data.test());
  }

  /** Fake-quantized graph on {@code test} (e.g. a subset of the test split). */
  public Evaluation evaluateFakeQuant(ModelState state, Dataset test) {
    try (ModelGraph g = ModelGraph.build(quantConfig(), state)) {
      return evaluation(g.predict(test), test);
    }
  }

  /** Integer engine on the test split. */
  public Evaluation evaluateInteger(QuantizedModel model) {
    return evaluateInteger(model, data.test());
  }

  /** Integer engine on {@code test} (e.g. a subset of the test split). */
  public Evaluation evaluateInteger(QuantizedModel model, Dataset test) {
    return evaluation(new IntegerEngine(model).predict(test), test);
  }

  private Evaluation evaluation(int[] predictions) {
    return evaluation(predictions, data.test());
  }

  /** Metrics of {@code predictions} against the labels of {@code test}. */
  public static Evaluation evaluation(int[] predictions, Dataset test) {
    return new Evaluation(
        ClassificationMetrics.of(test.labelsAsInts(), predictions, test.numClasses()), predictions);
  }

  private ModelGraph.Config floatConfig(Trainable trainable) {
    TrainingSpec t = job.training();
    return new ModelGraph.Config(
        job.model(), null, trainable, t.optimizer(), t.momentum().floatValue(), false);
  }

  private ModelGraph.Config quantConfig() {
    return ModelGraph.Config.inference(job.model(), quantization());
  }

  private static StageResult train(
      ModelGraph.Config config,
      ModelState start,
      Dataset data,
      FitOptions options,
      TrainingListener listener) {
    long t0 = System.nanoTime();
    double cpu0 = CpuTime.processSeconds();
    try (ModelGraph g = ModelGraph.build(config, start)) {
      FitResult fit = new Trainer(g).fit(data, options, listener);
      return new StageResult(g.export(), fit, (System.nanoTime() - t0) / 1e9, CpuTime.since(cpu0));
    }
  }

  /** Metrics and per-sample predictions of one model on the test split. */
  public record Evaluation(ClassificationMetrics metrics, int[] predictions) {
    /** Fraction of samples on which this and {@code other} predict the same class. */
    public double agreement(Evaluation other) {
      return ClassificationMetrics.agreement(predictions, other.predictions);
    }
  }
}
