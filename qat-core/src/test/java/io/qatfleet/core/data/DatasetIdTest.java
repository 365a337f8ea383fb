package io.qatfleet.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DatasetIdTest {

  @Test
  void parsesJobSpecSpellings() {
    assertThat(DatasetId.parse("fashion-mnist")).isEqualTo(DatasetId.FASHION_MNIST);
    assertThat(DatasetId.parse("FASHION_MNIST")).isEqualTo(DatasetId.FASHION_MNIST);
    assertThat(DatasetId.parse(" Fashion-MNIST ")).isEqualTo(DatasetId.FASHION_MNIST);
    assertThat(DatasetId.parse("mnist")).isEqualTo(DatasetId.MNIST);
    assertThat(DatasetId.parse("MNIST")).isEqualTo(DatasetId.MNIST);
  }

  @Test
  void rejectsUnknownDatasetNamingAcceptedOnes() {
    assertThatThrownBy(() -> DatasetId.parse("cifar10"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'cifar10'")
        .hasMessageContaining("mnist, fashion-mnist");
  }

  @Test
  void namesEveryClassOfEachDataset() {
    // Fashion-MNIST's labels as its authors list them; MNIST's classes are the digits
    assertThat(DatasetId.FASHION_MNIST.classNames())
        .containsExactly(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot");
    assertThat(DatasetId.MNIST.classNames())
        .containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
  }
}
