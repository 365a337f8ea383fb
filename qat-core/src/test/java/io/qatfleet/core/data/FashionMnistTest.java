package io.qatfleet.core.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads the real Fashion-MNIST that Debian's dataset-fashion-mnist installs (CI installs it). */
class FashionMnistTest {

  @Test
  void loadsFashionMnistFromSystemLocation(@TempDir Path emptyDataDir) {
    DatasetLoader loader =
        new DatasetLoader(emptyDataDir, List.of(DatasetLoader.SYSTEM_DATASETS_DIR));

    DatasetSplits splits = loader.load(DatasetId.FASHION_MNIST, new SplitSpec(0, 0, 0, 1));

    assertThat(splits.train().size()).isEqualTo(60_000);
    assertThat(splits.test().size()).isEqualTo(10_000);
    assertThat(splits.train().rows()).isEqualTo(28);
    assertThat(splits.train().cols()).isEqualTo(28);
    assertThat(splits.train().labelsAsInts()).containsOnly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(splits.test().labelsAsInts()).containsOnly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
  }
}
