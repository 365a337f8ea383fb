package io.qatfleet.core.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConfusionMatrixTest {

  @Test
  void countsTruthAgainstPrediction() {
    ConfusionMatrix m = ConfusionMatrix.of(new int[] {0, 1, 1, 2, 1}, new int[] {0, 2, 1, 2, 2}, 3);

    assertThat(m.toArray())
        .isDeepEqualTo(
            new int[][] {
              {1, 0, 0},
              {0, 1, 2},
              {0, 0, 1}
            });
    assertThat(m.count(1, 2)).isEqualTo(2);
    assertThat(m.total()).isEqualTo(5);
  }

  @Test
  void sumsRowsColumnsAndDiagonal() {
    ConfusionMatrix m = ConfusionMatrix.of(new int[] {0, 1, 1, 2, 1}, new int[] {0, 2, 1, 2, 2}, 3);

    assertThat(m.truthCount(1)).isEqualTo(3);
    assertThat(m.predictedCount(2)).isEqualTo(3);
    assertThat(m.correct()).isEqualTo(3);
  }

  @Test
  void rejectsArraysOfDifferentLength() {
    assertThatThrownBy(() -> ConfusionMatrix.of(new int[] {0, 1}, new int[] {0}, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("truth has 2 entries but predicted has 1");
  }

  @Test
  void rejectsClassOutOfRange() {
    assertThatThrownBy(() -> ConfusionMatrix.of(new int[] {0, 1}, new int[] {0, 3}, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("predicted[1] = 3 is outside 0..2");
  }

  @Test
  void returnsCopyOfCounts() {
    ConfusionMatrix m = ConfusionMatrix.of(new int[] {0}, new int[] {0}, 2);
    m.toArray()[0][0] = 99;

    assertThat(m.count(0, 0)).isEqualTo(1);
  }
}
