package io.qatfleet.validator;

import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.DatasetSplits;
import io.qatfleet.core.data.SplitSpec;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.job.DataSpec;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.onnx.OnnxExporter;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import io.qatfleet.core.pipeline.QatPipeline;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.core.train.TrainingSpec;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Real checkpoints for the validator's tests, made once per test JVM by qat-core's pipeline on a
 * few hundred Fashion-MNIST images: a float baseline, and two quantized rounds with their
 * calibrated float checkpoints, one from the trained baseline (QAT, calibration, projection) and
 * one from untrained weights (calibration and projection only), so that their accuracies differ.
 * The accuracies are measured here with qat-core directly, independently of the validator.
 */
public final class TestModels {

  public static final ModelSpec MODEL =
      new ModelSpec(Architecture.CNN, List.of(4, 8), List.of(16), false, null, null, null);
  public static final DataSpec DATA = new DataSpec("fashion-mnist", 400, 200, 100);
  public static final TrainingSpec TRAINING =
      new TrainingSpec(2, 1, 1, 32, null, null, null, null, null, null, 7L, null);
  public static final QuantizationSpec QUANTIZATION = QuantizationSpec.of(8, 8, null);

  /** Checkpoint files and the accuracies qat-core measures for them on the test split. */
  public record Models(
      byte[] baseline,
      byte[] trainedCalibrated,
      byte[] trainedInteger,
      byte[] untrainedCalibrated,
      byte[] untrainedInteger,
      byte[] trainedOnnx,
      double floatAccuracy,
      double trainedAccuracy,
      double untrainedAccuracy) {}

  private static Models models;

  private TestModels() {}

  /** A spec for these models with the given name, thresholds and rounds. */
  public static JobSpec spec(String name, Map<String, MetricThreshold> thresholds, int maxRounds) {
    return new JobSpec(name, DATA, MODEL, QUANTIZATION, TRAINING, thresholds, maxRounds);
  }

  /** Every metric passes whatever the model: at most the whole range may be lost. */
  public static Map<String, MetricThreshold> lenient() {
    return Map.of("accuracy", new MetricThreshold(null, 1.0, null));
  }

  /** No model of these reaches a perfect accuracy on 200 test images. */
  public static Map<String, MetricThreshold> impossible() {
    return Map.of("accuracy", new MetricThreshold(1.0, 0.0, null));
  }

  public static synchronized Models models() {
    if (models == null) {
      models = train();
    }
    return models;
  }

  private static Models train() {
    JobSpec spec = spec("fixture", lenient(), 3);
    DatasetSplits data =
        DatasetLoader.fromEnvironment()
            .load(
                DATA.datasetId(),
                new SplitSpec(
                    DATA.calibrationSize(), DATA.trainLimit(), DATA.testLimit(), TRAINING.seed()));
    QatPipeline p = new QatPipeline(spec, data);
    ModelState trainedFloat = p.trainFloat(p.initialState(), 0, TrainingListener.NONE).state();
    ModelState qat = p.trainQat(p.initQuantization(trainedFloat), TrainingListener.NONE).state();
    ModelState trainedCalibrated = p.calibrate(qat, TrainingListener.NONE).state();
    QuantizedModel trainedInteger = p.project(trainedCalibrated);
    ModelState untrainedCalibrated =
        p.calibrate(p.initQuantization(p.initialState()), TrainingListener.NONE).state();
    QuantizedModel untrainedInteger = p.project(untrainedCalibrated);

    CheckpointCodec codec = new CheckpointCodec();
    return new Models(
        codec.encode(ModelCheckpoints.ofFloat(MODEL, null, trainedFloat, provenance(0))).bytes(),
        codec
            .encode(ModelCheckpoints.ofFloat(MODEL, QUANTIZATION, trainedCalibrated, provenance(1)))
            .bytes(),
        codec
            .encode(ModelCheckpoints.ofQuantized(trainedInteger, QUANTIZATION, provenance(1)))
            .bytes(),
        codec
            .encode(
                ModelCheckpoints.ofFloat(MODEL, QUANTIZATION, untrainedCalibrated, provenance(2)))
            .bytes(),
        codec
            .encode(ModelCheckpoints.ofQuantized(untrainedInteger, QUANTIZATION, provenance(2)))
            .bytes(),
        OnnxExporter.exportQuantized(trainedInteger, Map.of()),
        p.evaluateFloat(trainedFloat).metrics().accuracy(),
        p.evaluateInteger(trainedInteger).metrics().accuracy(),
        p.evaluateInteger(untrainedInteger).metrics().accuracy());
  }

  private static Provenance provenance(int round) {
    return new Provenance(
        "fixture", round, null, "fashion-mnist", "test", Instant.now().toString());
  }
}
