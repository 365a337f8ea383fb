package io.qatfleet.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.core.data.DatasetId;
import java.util.List;
import org.junit.jupiter.api.Test;

class DatasetsAtStartTest {

  @Test
  void parsesNamesOnceEachInOrder() {
    assertThat(DatasetsAtStart.parse(List.of("fashion-mnist", " MNIST ", "FASHION_MNIST")))
        .containsExactly(DatasetId.FASHION_MNIST, DatasetId.MNIST);
  }

  @Test
  void noneAndBlankPreloadNothing() {
    assertThat(DatasetsAtStart.parse(List.of("none"))).isEmpty();
    assertThat(DatasetsAtStart.parse(List.of("NONE", " "))).isEmpty();
  }

  @Test
  void rejectsUnknownNameNamingTheSetting() {
    assertThatThrownBy(() -> DatasetsAtStart.parse(List.of("fashion-mnist", "cifar")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("qat.datasets-preload")
        .hasMessageContaining("'cifar'")
        .hasMessageContaining("none");
  }
}
