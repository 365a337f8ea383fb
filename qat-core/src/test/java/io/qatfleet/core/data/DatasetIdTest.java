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
}
