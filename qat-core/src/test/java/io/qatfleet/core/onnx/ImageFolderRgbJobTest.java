package io.qatfleet.core.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtException;
import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.data.DatasetId;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.DatasetSplits;
import io.qatfleet.core.data.SourceDigest;
import io.qatfleet.core.data.SplitSpec;
import io.qatfleet.core.eval.ClassificationMetrics;
import io.qatfleet.core.infer.IntegerEngine;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.job.DataCheck;
import io.qatfleet.core.job.JobBudget;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.pipeline.QatPipeline;
import io.qatfleet.core.train.TrainingListener;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job end to end from an image folder of RGB PNGs: Fashion-MNIST images of four classes, each
 * tinted with a colour that does not depend on its class, written as 28×28 RGB PNGs under {@code
 * train/<class>/} and {@code test/<class>/}. The job names the folder by reference; the pipeline
 * trains a float CNN and an MLP with three input channels, runs QAT, calibrates and projects, and
 * the integer engine agrees with the fake-quant graph and ONNX Runtime with the integer engine on
 * at least 99.5 % of the test images. Needs Debian's dataset-fashion-mnist (installed by .ci/run).
 */
class ImageFolderRgbJobTest {
  private static final double MIN_AGREEMENT = 0.995;
  private static final int[] LABELS = {1, 5, 7, 8}; // Trouser, Sandal, Sneaker, Bag
  private static final List<String> NAMES = List.of("a-trouser", "b-sandal", "c-sneaker", "d-bag");
  private static final int[][] TINTS = {{255, 64, 64}, {64, 255, 64}, {64, 64, 255}, {255, 255, 0}};

  @TempDir static Path folder;

  @BeforeAll
  static void writeImageFolder() throws IOException {
    DatasetSplits fmnist =
        DatasetLoader.fromEnvironment()
            .load(DatasetId.FASHION_MNIST, new SplitSpec(0, 6000, 4000, 3));
    write(fmnist.train(), "train", 200);
    write(fmnist.test(), "test", 100);
  }

  @AfterAll
  static void clearCache() {
    DatasetLoader.clearCache();
  }

  /** The first {@code perClass} images of each chosen class, tinted by their index. */
  private static void write(Dataset data, String split, int perClass) throws IOException {
    int[] written = new int[LABELS.length];
    byte[] px = data.pixels();
    for (int i = 0; i < data.size(); i++) {
      int c = java.util.Arrays.stream(LABELS).boxed().toList().indexOf(data.label(i));
      if (c < 0 || written[c] == perClass) {
        continue;
      }
      int[] tint = TINTS[i % TINTS.length];
      BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
      for (int p = 0; p < 784; p++) {
        int v = px[i * 784 + p] & 0xFF;
        int rgb = (v * tint[0] / 255) << 16 | (v * tint[1] / 255) << 8 | v * tint[2] / 255;
        image.setRGB(p % 28, p / 28, rgb);
      }
      Path file = folder.resolve(split + "/" + NAMES.get(c) + "/" + i + ".png");
      Files.createDirectories(file.getParent());
      ImageIO.write(image, "png", file.toFile());
      written[c]++;
    }
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
    assertThat(data.description().classNames()).isEqualTo(NAMES);
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
