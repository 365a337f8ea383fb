package io.qatfleet.core.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.data.DataSource;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.SourceFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data by reference that does not fit the model is a spec error naming the field, found by reading
 * the files before any training; the spec's JSON with a source round-trips, and a spec naming a
 * dataset reads and writes as before.
 */
class DataCheckTest {

  @TempDir Path dir;

  private final DatasetLoader loader = new DatasetLoader(Path.of("/nonexistent"), List.of());

  @AfterEach
  void clearCache() {
    DatasetLoader.clearCache();
  }

  private static JobSpec spec(String json) {
    return JobSpec.fromJson(json);
  }

  private List<String> violations(JobSpec spec) {
    return DataCheck.violations(spec, loader, JobBudget.DEFAULTS);
  }

  private Path csv(int features, int rows, int classes) throws IOException {
    StringBuilder s = new StringBuilder();
    for (int f = 0; f < features; f++) {
      s.append("f").append(f).append(',');
    }
    s.append("label\n");
    for (int r = 0; r < rows; r++) {
      for (int f = 0; f < features; f++) {
        s.append(r * f % 7).append(',');
      }
      s.append(r % classes).append('\n');
    }
    Path file = dir.resolve("table.csv");
    Files.writeString(file, s);
    return file;
  }

  private static String csvJob(Path file, String model) {
    return "{\"data\": {\"source\": {\"format\": \"csv\", \"path\": \""
        + file
        + "\"}, \"calibrationSize\": 10}, \"model\": "
        + model
        + "}";
  }

  @Test
  void acceptsCsvThatFitsAnMlp() throws IOException {
    JobSpec spec =
        spec(
            csvJob(
                csv(4, 100, 3),
                "{\"architecture\": \"mlp\", \"inputHeight\": 1, \"inputWidth\": 4,"
                    + " \"numClasses\": 3}"));
    assertThat(spec.violations()).isEmpty();
    assertThat(violations(spec)).isEmpty();
  }

  @Test
  void namesFeatureCountAndClassCountThatDifferFromTheCsv() throws IOException {
    JobSpec spec = spec(csvJob(csv(4, 100, 3), "{\"architecture\": \"mlp\"}"));
    assertThat(violations(spec))
        .anyMatch(
            v ->
                v.startsWith("model.numClasses: must be the 3 classes of csv:")
                    && v.endsWith("got 10"))
        .anyMatch(
            v ->
                v.startsWith(
                        "model.inputHeight x model.inputWidth x model.inputChannels: must be 1 x 4"
                            + " x 1 for the 4 feature columns")
                    && v.endsWith("got 28x28x1"));
  }

  @Test
  void namesChannelsAndSizeThatDifferFromCifar() throws IOException {
    byte[] record = new byte[3073];
    Files.write(dir.resolve("data_batch_1.bin"), record);
    Files.write(dir.resolve("test_batch.bin"), record);
    JobSpec spec =
        spec(
            "{\"data\": {\"source\": {\"format\": \"cifar10\", \"path\": \""
                + dir
                + "\"}, \"calibrationSize\": 1}, \"model\": {\"architecture\": \"mlp\"}}");
    assertThat(violations(spec))
        .anyMatch(
            v ->
                v.startsWith(
                        "model.inputHeight x model.inputWidth x model.inputChannels: must be"
                            + " the 32x32x3 images of cifar10:")
                    && v.endsWith("got 28x28x1"))
        .anyMatch(v -> v.startsWith("data.calibrationSize: must be smaller than the 1 training"));
  }

  @Test
  void reportsMissingPathAndWrongDigestAsSourceFields() throws IOException {
    JobSpec missing =
        spec(
            "{\"data\": {\"source\": {\"format\": \"imageFolder\", \"path\": \""
                + dir.resolve("nothing")
                + "\"}}}");
    assertThat(violations(missing))
        .singleElement()
        .asString()
        .startsWith("data.source.path: ")
        .contains("does not exist");
    Path file = csv(2, 20, 2);
    JobSpec wrongDigest =
        spec(
            "{\"data\": {\"source\": {\"format\": \"csv\", \"path\": \""
                + file
                + "\", \"sha256\": \""
                + "a".repeat(64)
                + "\"}}, \"model\": {\"architecture\": \"mlp\"}}");
    assertThat(violations(wrongDigest))
        .singleElement()
        .asString()
        .startsWith("data.source.sha256: ");
  }

  @Test
  void rejectsDatasetAndSourceTogetherAndBadSourceFields() {
    JobSpec spec =
        spec(
            "{\"data\": {\"dataset\": \"mnist\", \"source\": {\"format\": \"csv\", \"path\":"
                + " \"relative.csv\"}}}");
    assertThat(spec.violations())
        .contains(
            "data.dataset: name a dataset or a source, not both, got 'mnist'",
            "data.source.path: must be absolute, got 'relative.csv'");
  }

  @Test
  void rejectsUnknownFormatNamingIt() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> spec("{\"data\": {\"source\": {\"format\": \"parquet\", \"path\": \"/x\"}}}"))
        .hasMessageContaining("unknown format 'parquet'");
  }

  @Test
  void roundTripsSourceAndLeavesNamedDatasetJsonAsItWas() {
    JobSpec spec =
        spec(
            "{\"data\": {\"source\": {\"format\": \"imageFolder\", \"path\": \"/data/flowers\","
                + " \"sha256\": \""
                + "b".repeat(64)
                + "\"}}, \"model\": {\"inputChannels\": 3}}");
    JobSpec back = JobSpec.fromJson(spec.toJson());
    assertThat(back).isEqualTo(spec);
    assertThat(back.data().source())
        .isEqualTo(
            new DataSource(SourceFormat.IMAGE_FOLDER, "/data/flowers", "b".repeat(64), null));
    assertThat(back.model().inputChannels()).isEqualTo(3);
    String named = spec("{\"data\": {\"dataset\": \"mnist\"}}").toJson();
    assertThat(named)
        .contains("\"dataset\":\"mnist\"")
        .doesNotContain("source")
        .doesNotContain("inputChannels");
  }

  @Test
  void rejectsRgbModelOnANamedGrayscaleDataset() {
    assertThat(spec("{\"model\": {\"inputChannels\": 3}}").violations())
        .contains("model.inputChannels: must be the 1 channel of Fashion-MNIST, got 3");
  }
}
