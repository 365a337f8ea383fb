package io.qatfleet.quantizer.service;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.qatfleet.core.BuildInfo;
import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.CheckpointException;
import io.qatfleet.core.checkpoint.CheckpointKind;
import io.qatfleet.core.checkpoint.EncodedCheckpoint;
import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.infer.QuantizedLayer;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelGraph;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.onnx.OnnxExporter;
import io.qatfleet.core.pipeline.CpuTime;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import io.qatfleet.core.pipeline.QatPipeline;
import io.qatfleet.core.pipeline.StageResult;
import io.qatfleet.core.quant.LayerQuantSpec;
import io.qatfleet.core.quant.ModelQuantization;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.NonFiniteLossException;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.checkpoint.CheckpointTransportException;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.service.FleetConfig;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The quantizer's stage of a job (step 4 of docs/fleet.md): consumes the QAT checkpoint a {@link
 * FloatCheckpointReady} refers to (or the float baseline, which it makes round 0 by post-training
 * quantization: range observers, then the same calibration and projection) and produces two
 * checkpoints in the {@link CheckpointStore}: the calibrated float checkpoint (step sizes and
 * clipping values learned on the calibration split with the weights frozen, {@link
 * QatPipeline#calibrate}) and the integer checkpoint ({@link QatPipeline#project}: batch norm
 * folded, weights on the integer grid). Both record the input checkpoint as their parent, so a file
 * alone explains where it came from.
 *
 * <p>Every input is checked before any work: the spec, the checkpoint's digest and size (by the
 * store and again by the codec), its kind, its model spec against the job's, and the presence of
 * the quantization parameters a QAT round leaves in it. A failing check is a {@link
 * RejectedInputException}, never a retry.
 *
 * <p>{@code @Startup} so that {@code qat.checkpoint.bytes} is on {@code /q/metrics} before the
 * first record.
 */
@Startup
@ApplicationScoped
public class QuantizeService {

  /** Tag values of {@code qat.checkpoint.bytes}. */
  static final String INPUT = "input";

  static final String CALIBRATED = "calibrated";
  static final String INTEGER = "integer";

  private final CheckpointStore store;
  private final FleetConfig fleetConfig;
  private final DatasetLoader datasets;
  private final CheckpointCodec codec = new CheckpointCodec();
  private final Clock clock = Clock.systemUTC();
  private final Map<String, DistributionSummary> checkpointBytes = new LinkedHashMap<>();

  public QuantizeService(CheckpointStore store, FleetConfig fleetConfig, MeterRegistry registry) {
    this.store = store;
    this.fleetConfig = fleetConfig;
    this.datasets = DatasetLoader.fromEnvironment();
    for (String kind : List.of(INPUT, CALIBRATED, INTEGER)) {
      checkpointBytes.put(
          kind,
          DistributionSummary.builder("qat.checkpoint.bytes")
              .description("Size of the checkpoints the quantizer read and wrote")
              .baseUnit("bytes")
              .tag("kind", kind)
              .register(registry));
    }
  }

  /**
   * Calibrates and projects the QAT checkpoint of {@code event} and stores the results.
   *
   * @param listener receives the calibration's progress
   * @throws RejectedInputException if the spec, the checkpoint or the loss is unusable
   */
  public QuantizeResult quantize(FloatCheckpointReady event, TrainingListener listener) {
    JobSpec spec = event.spec();
    List<String> violations = spec.violations();
    if (!violations.isEmpty()) {
      throw new RejectedInputException(
          RejectionReason.INVALID_SPEC, "invalid job spec: " + String.join("; ", violations));
    }
    CheckpointRef inputRef = event.checkpoint();
    Checkpoint input = fetch(inputRef);
    double cpu0 = CpuTime.processSeconds();
    QatPipeline pipeline = QatPipeline.forJob(spec, datasets);
    // Round 0 is post-training quantization of the float baseline: range observers give the
    // initial step sizes, then calibration and projection as for a QAT round.
    ModelState state =
        event.baseline()
            ? pipeline.initQuantization(requireFloatState(input, spec))
            : requireQatState(input, spec);
    StageResult calibrated;
    try {
      calibrated = pipeline.calibrate(state, listener);
    } catch (NonFiniteLossException e) {
      throw new RejectedInputException(
          RejectionReason.NON_FINITE_LOSS, "calibration: " + e.getMessage(), e);
    }
    long t0 = System.nanoTime();
    QuantizedModel integer = pipeline.project(calibrated.state());
    double projectionSeconds = (System.nanoTime() - t0) / 1e9;

    Provenance provenance =
        Provenance.of(
            event.jobId(),
            event.round(),
            inputRef.sha256(),
            pipeline.data().description(),
            BuildInfo.codeVersion(),
            clock.instant().toString());
    EncodedCheckpoint calibratedFile =
        codec.encode(
            ModelCheckpoints.ofFloat(
                spec.model(), spec.quantization(), calibrated.state(), provenance));
    EncodedCheckpoint integerFile =
        codec.encode(ModelCheckpoints.ofQuantized(integer, spec.quantization(), provenance));
    // Stored under the codec's digests: each file is hashed once on this side.
    CheckpointRef calibratedRef = store.put(calibratedFile);
    checkpointBytes.get(CALIBRATED).record(calibratedRef.bytes());
    CheckpointRef integerRef = store.put(integerFile);
    checkpointBytes.get(INTEGER).record(integerRef.bytes());
    // The deployable file: the integer model as ONNX, stored like a checkpoint. The validator runs
    // these exact bytes in ONNX Runtime, and an approval names (and signs) their digest.
    CheckpointRef onnxRef =
        store.put(
            OnnxExporter.exportQuantized(
                integer,
                Map.of(
                    "qat.checkpoint_sha256", integerRef.sha256(),
                    "qat.job", event.jobId(),
                    "qat.round", Integer.toString(event.round()))));

    Map<String, Double> metrics = new LinkedHashMap<>();
    if (calibrated.fit() != null) {
      metrics.put("calibrationLoss", calibrated.fit().finalLoss());
      metrics.put("calibrationSamplesPerSecond", calibrated.fit().samplesPerSecond());
    }
    metrics.put(
        "calibrationEpochs",
        (double) (calibrated.fit() == null ? 0 : spec.training().calibrationEpochs()));
    metrics.put("calibrationSamples", (double) pipeline.data().calibration().size());
    metrics.put(QuantizedModelReady.CALIBRATION_SECONDS, calibrated.seconds());
    metrics.put(QuantizedModelReady.PROJECTION_SECONDS, projectionSeconds);
    metrics.put(QuantizedModelReady.CPU_SECONDS, CpuTime.since(cpu0));
    if (!event.baseline()) {
      event
          .trainingMetrics()
          .forEach((name, value) -> metrics.put(QuantizedModelReady.TRAINING_PREFIX + name, value));
    }
    metrics.put("integerModelBytes", (double) integer.storageBytes());
    metrics.put("integerCheckpointBytes", (double) integerRef.bytes());
    metrics.put("onnxModelBytes", (double) onnxRef.bytes());
    for (QuantizedLayer l : integer.layers()) {
      metrics.put("meanWeightStep.layer" + l.shape().index(), mean(l.weights().scales()));
      metrics.put("inputStep.layer" + l.shape().index(), (double) l.inputScale());
    }
    metrics.values().removeIf(v -> !Double.isFinite(v));
    return new QuantizeResult(integerRef, calibratedRef, metrics, onnxRef);
  }

  /** The verified checkpoint of {@code ref}, decoded. */
  private Checkpoint fetch(CheckpointRef ref) {
    byte[] bytes;
    try {
      bytes = store.get(ref, fleetConfig.checkpointTimeout());
    } catch (CheckpointTransportException e) {
      throw new RejectedInputException(
          RejectionReason.of(e.reason()),
          "input checkpoint " + ref.sha256() + ": " + e.getMessage(),
          e);
    }
    checkpointBytes.get(INPUT).record(bytes.length);
    try {
      // The store verified size and SHA-256 against ref as the chunks arrived: not hashed again.
      return codec.decode(bytes);
    } catch (CheckpointException e) {
      throw new RejectedInputException(
          RejectionReason.CORRUPT_CHECKPOINT,
          "input checkpoint " + ref.sha256() + ": " + e.getMessage(),
          e);
    }
  }

  /** The float weights of a baseline checkpoint of {@code spec}'s model, for round 0. */
  static ModelState requireFloatState(Checkpoint checkpoint, JobSpec spec) {
    requireModel(checkpoint, spec, "baseline checkpoint");
    return ModelCheckpoints.state(checkpoint);
  }

  /** A FLOAT checkpoint of {@code spec}'s model, else the rejection naming what it is. */
  private static ModelSpec requireModel(Checkpoint checkpoint, JobSpec spec, String what) {
    if (checkpoint.kind() != CheckpointKind.FLOAT) {
      throw new RejectedInputException(
          RejectionReason.WRONG_CHECKPOINT,
          what + " is " + checkpoint.kind() + ", the quantizer needs a FLOAT one");
    }
    ModelSpec model;
    try {
      model = ModelCheckpoints.modelSpec(checkpoint);
    } catch (CheckpointException e) {
      throw new RejectedInputException(RejectionReason.CORRUPT_CHECKPOINT, e.getMessage(), e);
    }
    if (!model.equals(spec.model())) {
      throw new RejectedInputException(
          RejectionReason.SPEC_MISMATCH,
          what + " holds model " + model + " but the job's spec says " + spec.model());
    }
    return model;
  }

  /**
   * The float state of a checkpoint taken during QAT for {@code spec}: a FLOAT checkpoint of the
   * job's model, with the job's quantization spec and a step size for every quantizer.
   */
  static ModelState requireQatState(Checkpoint checkpoint, JobSpec spec) {
    ModelSpec model = requireModel(checkpoint, spec, "input checkpoint");
    QuantizationSpec quantization;
    try {
      quantization = ModelCheckpoints.quantizationSpec(checkpoint);
    } catch (CheckpointException e) {
      throw new RejectedInputException(RejectionReason.CORRUPT_CHECKPOINT, e.getMessage(), e);
    }
    if (quantization == null) {
      throw new RejectedInputException(
          RejectionReason.MISSING_QUANTIZATION,
          "input checkpoint has no quantization parameters: a float baseline sent as a QAT round"
              + " (the trainer runs initQuantization and QAT before the quantizer)");
    }
    if (!quantization.equals(spec.quantization())) {
      throw new RejectedInputException(
          RejectionReason.SPEC_MISMATCH,
          "input checkpoint was trained for quantization "
              + quantization
              + " but the job's spec says "
              + spec.quantization());
    }
    ModelState state = ModelCheckpoints.state(checkpoint);
    ModelQuantization resolved = ModelQuantization.of(quantization, model.layerCount());
    for (LayerShape l : LayerShape.of(model)) {
      LayerQuantSpec grid = resolved.layers().get(l.index());
      requireTensor(state, l.name(ModelGraph.W_SCALE), grid.weights().scaleCount(l.kernelShape()));
      if (l.index() > 0) {
        String input =
            resolved.method() == QatMethod.LSQ_PACT ? ModelGraph.IN_ALPHA : ModelGraph.IN_SCALE;
        requireTensor(state, l.name(input), 1);
      }
    }
    return state;
  }

  private static void requireTensor(ModelState state, String name, long elements) {
    if (!state.has(name)) {
      throw new RejectedInputException(
          RejectionReason.MISSING_QUANTIZATION,
          "input checkpoint lacks quantization parameter '" + name + "'");
    }
    long actual = state.tensor(name).elementCount();
    if (actual != elements) {
      throw new RejectedInputException(
          RejectionReason.MISSING_QUANTIZATION,
          "quantization parameter '"
              + name
              + "' has "
              + actual
              + " values, the job's spec needs "
              + elements);
    }
  }

  private static double mean(float[] values) {
    double sum = 0;
    for (float v : values) {
      sum += v;
    }
    return values.length == 0 ? Double.NaN : sum / values.length;
  }
}
