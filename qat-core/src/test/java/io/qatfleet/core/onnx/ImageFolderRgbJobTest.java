package io.qatfleet.core.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtException;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.DatasetSplits;
import io.qatfleet.core.data.RgbImageFolders;
import io.qatfleet.core.data.SourceDigest;
import io.qatfleet.core.eval.ClassificationMetrics;
import io.qatfleet.core.infer.IntegerEngine;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.job.DataCheck;
import io.qatfleet.core.job.JobBudget;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.pipeline.QatPipeline;
import io.qatfleet.core.train.TrainingListener;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job end to end from an image folder of RGB PNGs ({@link RgbImageFolders}: Fashion-MNIST images
 * of four classes, each tinted with a colour that does not depend on its class). The job names the
 * folder by reference; the pipeline trains a float CNN and an MLP with three input channels, runs
 * QAT, calibrates and projects, and the integer engine agrees with the fake-quant graph and ONNX
 * Runtime with the integer engine on at least 99.5 % of the test images. Needs Debian's
 * dataset-fashion-mnist (installed by .ci/run).
 */
class ImageFolderRgbJobTest {
  private static final double MIN_AGREEMENT = 0.995;

  @TempDir static Path folder;

  @BeforeAll
  static void writeImageFolder() throws IOException {
    RgbImageFolders.write(folder, 200, 100);
  }

  @AfterAll
  static void clearCache() {
    DatasetLoader.clearCache();
  }

  private static JobSpec job(String model) {
    return JobSpec.fromJson(
        "{\"name\": \"rgb\", \"data\": {\"source\": {\"format\": \"imageFolder\", \"path\": \""
            + folder
            + "\"}, \"calibrationSize\": 100},"
            + " \"model\": "
            + model
            + ", \"quantization\": {\"weightBits\": 8, \"activationBits\": 8},"
            + " \"training\": {\"floatEpochs\": 3, \"qatEpochs\": 1, \"calibrationEpochs\": 1,"
            + " \"batchSize\": 32, \"seed\": 42}}");
  }

  private static void trainsQuantizesAndExports(JobSpec job) throws OrtException {
    assertThat(job.violations()).isEmpty();
    DatasetLoader loader = DatasetLoader.fromEnvironment();
    assertThat(DataCheck.violations(job, loader, JobBudget.DEFAULTS)).isEmpty();
    QatPipeline p = QatPipeline.forJob(job, loader);
    DatasetSplits data = p.data();
    assertThat(data.description().classNames()).isEqualTo(RgbImageFolders.CLASS_NAMES);
    assertThat(data.description().sha256()).isEqualTo(SourceDigest.of(folder));
    assertThat(data.train().channels()).isEqualTo(3);
    assertThat(data.test().size()).isEqualTo(400);

    ModelState floatState = p.trainFloat(p.initialState(), 0, TrainingListener.NONE).state();
    ModelState qat = p.trainQat(p.initQuantization(floatState), TrainingListener.NONE).state();
    ModelState calibrated = p.calibrate(qat, TrainingListener.NONE).state();
    QuantizedModel model = p.project(calibrated);
    QatPipeline.Evaluation fake = p.evaluateFakeQuant(calibrated);
    QatPipeline.Evaluation exact = p.evaluateInteger(model);
    int[] engine = new IntegerEngine(model).predict(data.test());
    int[] ort;
    try (OrtRunner runner = new OrtRunner(OnnxExporter.exportQuantized(model, Map.of()))) {
      ort = runner.predict(data.test());
    }
    int[] tfFloat = p.evaluateFloat(floatState).predictions();
    int[] ortFloat;
    try (OrtRunner runner =
        new OrtRunner(OnnxExporter.exportFloat(job.model(), floatState, Map.of()))) {
      ortFloat = runner.predict(data.test());
    }
    System.out.printf(
        "%s on RGB image folder: integer accuracy %.4f, engine vs fake-quant %.4f,"
            + " ORT vs engine %.4f, float ORT vs TF %.4f%n",
        job.model().architecture(),
        exact.metrics().accuracy(),
        exact.agreement(fake),
        ClassificationMetrics.agreement(engine, ort),
        ClassificationMetrics.agreement(tfFloat, ortFloat));
    assertThat(exact.metrics().accuracy()).isGreaterThan(0.6); // chance is 0.25
    assertThat(exact.agreement(fake)).isGreaterThanOrEqualTo(MIN_AGREEMENT);
    assertThat(ClassificationMetrics.agreement(engine, ort)).isGreaterThanOrEqualTo(MIN_AGREEMENT);
    assertThat(ClassificationMetrics.agreement(tfFloat, ortFloat))
        .isGreaterThanOrEqualTo(MIN_AGREEMENT);
  }

  @Test
  void trainsCnnFromRgbImageFolderAndExportsIt() throws OrtException {
    trainsQuantizesAndExports(
        job(
            "{\"convChannels\": [8, 16], \"denseUnits\": [32], \"numClasses\": 4,"
                + " \"inputChannels\": 3}"));
  }

  @Test
  void trainsMlpFromRgbImageFolderAndExportsIt() throws OrtException {
    trainsQuantizesAndExports(
        job(
            "{\"architecture\": \"mlp\", \"denseUnits\": [32], \"numClasses\": 4,"
                + " \"inputChannels\": 3}"));
  }
}
