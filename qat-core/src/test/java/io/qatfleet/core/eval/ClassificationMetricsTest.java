package io.qatfleet.core.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {

  private static final Offset<Double> EPS = within(1e-12);

  /**
   * Confusion matrix, rows = truth, columns = prediction:
   *
   * <pre>
   *        p0 p1 p2   support
   *   t0 [  4  1  0 ]    5
   *   t1 [  2  3  1 ]    6
   *   t2 [  0  2  1 ]    3
   *   predicted: 6  6  2    total 14, correct 4+3+1 = 8
   * </pre>
   */
  private static ClassificationMetrics handWorked() {
    int[] truth = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2};
    int[] predicted = {0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 2, 1, 1, 2};
    return ClassificationMetrics.of(truth, predicted, 3);
  }

  @Test
  void computesAccuracyFromDiagonal() {
    // 8 correct of 14 = 4/7
    assertThat(handWorked().accuracy()).isCloseTo(4.0 / 7, EPS);
  }

  @Test
  void computesPerClassPrecision() {
    // tp / predicted: 4/6, 3/6, 1/2
    assertThat(handWorked().precision()).containsExactly(new double[] {2.0 / 3, 0.5, 0.5}, EPS);
  }

  @Test
  void computesPerClassRecall() {
    // tp / support: 4/5, 3/6, 1/3
    assertThat(handWorked().recall()).containsExactly(new double[] {0.8, 0.5, 1.0 / 3}, EPS);
  }

  @Test
  void computesPerClassF1AsHarmonicMean() {
    // 2PR/(P+R): c0 2(2/3)(4/5)/(2/3+4/5) = (16/15)/(22/15) = 8/11
    //            c1 2(1/2)(1/2)/(1) = 1/2
    //            c2 2(1/2)(1/3)/(5/6) = (1/3)(6/5) = 2/5
    assertThat(handWorked().f1()).containsExactly(new double[] {8.0 / 11, 0.5, 0.4}, EPS);
  }

  @Test
  void computesMacroAveragesAsUnweightedMeans() {
    ClassificationMetrics m = handWorked();

    // (2/3 + 1/2 + 1/2) / 3 = (5/3) / 3 = 5/9
    assertThat(m.macroPrecision()).isCloseTo(5.0 / 9, EPS);
    // (4/5 + 1/2 + 1/3) / 3 = (49/30) / 3 = 49/90
    assertThat(m.macroRecall()).isCloseTo(49.0 / 90, EPS);
    // (8/11 + 1/2 + 2/5) / 3 = (80 + 55 + 44)/110 / 3 = 179/330
    assertThat(m.macroF1()).isCloseTo(179.0 / 330, EPS);
  }

  @Test
  void reportsSupportAndConfusion() {
    ClassificationMetrics m = handWorked();

    assertThat(m.support()).containsExactly(5, 6, 3);
    assertThat(m.confusion().toArray())
        .isDeepEqualTo(new int[][] {{4, 1, 0}, {2, 3, 1}, {0, 2, 1}});
  }

  @Test
  void scoresNeverPredictedAndAbsentClassesAsZero() {
    // 4 classes; truth 0,0,1,2 vs predicted 0,0,0,1:
    // c0 tp 2, predicted 3, support 2 -> P 2/3, R 1, F1 2(2/3)/(5/3) = 4/5
    // c1 tp 0, predicted 1, support 1 -> P 0, R 0, F1 0
    // c2 tp 0, never predicted (P 0/0 -> 0), support 1 -> R 0, F1 0
    // c3 never present nor predicted -> P, R, F1 all 0/0 -> 0
    ClassificationMetrics m =
        ClassificationMetrics.of(new int[] {0, 0, 1, 2}, new int[] {0, 0, 0, 1}, 4);

    assertThat(m.precision()).containsExactly(new double[] {2.0 / 3, 0, 0, 0}, EPS);
    assertThat(m.recall()).containsExactly(new double[] {1, 0, 0, 0}, EPS);
    assertThat(m.f1()).containsExactly(new double[] {0.8, 0, 0, 0}, EPS);
    // macro over all 4 classes: (2/3)/4 = 1/6, 1/4, (4/5)/4 = 1/5
    assertThat(m.macroPrecision()).isCloseTo(1.0 / 6, EPS);
    assertThat(m.macroRecall()).isCloseTo(0.25, EPS);
    assertThat(m.macroF1()).isCloseTo(0.2, EPS);
  }

  @Test
  void scoresPredictedButAbsentClassRecallAsZero() {
    // truth 0,0 vs predicted 0,1: c1 has support 0 (R 0/0 -> 0) and precision 0/1 = 0
    ClassificationMetrics m = ClassificationMetrics.of(new int[] {0, 0}, new int[] {0, 1}, 2);

    assertThat(m.recall()).containsExactly(new double[] {0.5, 0}, EPS);
    assertThat(m.precision()).containsExactly(new double[] {1, 0}, EPS);
  }

  @Test
  void rejectsEmptyEvaluationSet() {
    assertThatThrownBy(() -> ClassificationMetrics.of(new int[0], new int[0], 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
  }

  @Test
  void rejectsScoreOutsideUnitInterval() {
    ConfusionMatrix cm = ConfusionMatrix.of(new int[] {0}, new int[] {0}, 1);

    assertThatThrownBy(
            () ->
                new ClassificationMetrics(
                    1.5,
                    new double[] {1},
                    new double[] {1},
                    new double[] {1},
                    1,
                    1,
                    1,
                    cm,
                    new int[] {1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("accuracy must be in [0, 1] but was 1.5");
  }

  @Test
  void measuresAgreementAsFractionOfEqualPredictions() {
    // positions 0, 2, 3 agree: 3/4
    assertThat(ClassificationMetrics.agreement(new int[] {1, 2, 3, 4}, new int[] {1, 0, 3, 4}))
        .isEqualTo(0.75);
  }

  @Test
  void rejectsAgreementOfDifferentLengths() {
    assertThatThrownBy(() -> ClassificationMetrics.agreement(new int[] {1, 2}, new int[] {1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a has 2 predictions but b has 1");
  }
}
