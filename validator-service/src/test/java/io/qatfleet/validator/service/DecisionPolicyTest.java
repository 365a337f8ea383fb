package io.qatfleet.validator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.event.Decision;
import io.qatfleet.messaging.event.ThresholdResult;
import io.qatfleet.messaging.event.ThresholdSource;
import io.qatfleet.validator.service.DecisionPolicy.Bar;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DecisionPolicyTest {

  private static final Map<String, Double> FLOAT = Map.of("accuracy", 0.84, "macroF1", 0.80);
  private static final Map<String, Double> QUANT = Map.of("accuracy", 0.81, "macroF1", 0.795);

  @Test
  void checksEveryThresholdAgainstTheBaseline() {
    List<ThresholdResult> results =
        DecisionPolicy.check(
            Map.of(
                "accuracy", new MetricThreshold(null, 0.01, null),
                "macroF1", new MetricThreshold(0.5, null, 0.01)),
            FLOAT,
            QUANT);

    // accuracy drops 0.03 > 0.01: fails; macroF1 0.795 >= 0.5 and drops 0.005/0.80 = 0.625 %.
    assertThat(results).extracting(ThresholdResult::metric).containsExactly("accuracy", "macroF1");
    assertThat(results).extracting(ThresholdResult::passed).containsExactly(false, true);
    assertThat(results.get(0).floatValue()).isEqualTo(0.84);
    assertThat(results.get(0).quantizedValue()).isEqualTo(0.81);
  }

  @Test
  void rejectsThresholdOnMissingMetric() {
    assertThatThrownBy(
            () ->
                DecisionPolicy.check(
                    Map.of("macroRecall", new MetricThreshold(0.1, null, null)), FLOAT, QUANT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("macroRecall");
  }

  @Test
  void decidesByThresholdsAndRoundsLeft() {
    ThresholdResult ok = result(true);
    ThresholdResult bad = result(false);
    assertThat(DecisionPolicy.decide(List.of(ok), 3, 3)).isEqualTo(Decision.PASS);
    assertThat(DecisionPolicy.decide(List.of(ok, bad), 1, 3)).isEqualTo(Decision.RETRAIN);
    assertThat(DecisionPolicy.decide(List.of(bad), 2, 3)).isEqualTo(Decision.RETRAIN);
    assertThat(DecisionPolicy.decide(List.of(bad), 3, 3)).isEqualTo(Decision.REJECT);
  }

  @Test
  void neverPassesWithoutACheckedThreshold() {
    assertThatThrownBy(() -> DecisionPolicy.decide(List.of(), 1, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("without a bar");
  }

  @Test
  void judgesSpecWithoutThresholdsByTheDefaultBar() {
    DecisionPolicy policy =
        new DecisionPolicy(DecisionPolicy.parseBar("{\"accuracy\": {\"maxAbsDrop\": 0.02}}"));
    Bar bar = policy.barFor(specWithThresholds(Map.of()));

    assertThat(bar.source()).isEqualTo(ThresholdSource.DEFAULT);
    assertThat(bar.thresholds()).containsOnlyKeys("accuracy");
    // Float 0.84: 0.81 drops 0.03 > 0.02 and fails; 0.83 drops 0.01 and passes.
    List<ThresholdResult> failing =
        DecisionPolicy.check(bar.thresholds(), FLOAT, Map.of("accuracy", 0.81));
    List<ThresholdResult> passing =
        DecisionPolicy.check(bar.thresholds(), FLOAT, Map.of("accuracy", 0.83));
    assertThat(DecisionPolicy.decide(failing, 1, 1)).isEqualTo(Decision.REJECT);
    assertThat(DecisionPolicy.decide(passing, 1, 1)).isEqualTo(Decision.PASS);
  }

  @Test
  void judgesSpecWithThresholdsByItsOwn() {
    Map<String, MetricThreshold> own = Map.of("macroF1", new MetricThreshold(0.5, null, null));
    Bar bar = new DecisionPolicy().barFor(specWithThresholds(own));

    assertThat(bar.source()).isEqualTo(ThresholdSource.SPEC);
    assertThat(bar.thresholds()).isEqualTo(own);
  }

  @Test
  void defaultBarIsOnePointOfAccuracy() {
    assertThat(new DecisionPolicy().defaultBar())
        .isEqualTo(Map.of("accuracy", new MetricThreshold(null, 0.01, null)));
  }

  @Test
  void refusesDefaultBarWithoutThresholds() {
    assertThatThrownBy(() -> DecisionPolicy.parseBar("{}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one threshold");
  }

  @Test
  void refusesInvalidDefaultBarNamingTheField() {
    assertThatThrownBy(() -> DecisionPolicy.parseBar("{\"accuracy\": {\"maxAbsDrop\": 2}}"))
        .hasMessageContaining("thresholds.accuracy.maxAbsDrop");
    assertThatThrownBy(() -> DecisionPolicy.parseBar("{\"top5\": {\"min\": 0.5}}"))
        .hasMessageContaining("unknown metric");
    assertThatThrownBy(() -> DecisionPolicy.parseBar("accuracy 0.01"))
        .hasMessageContaining("not a thresholds section");
  }

  @Test
  void namesFailedThresholdsWithNumbers() {
    ThresholdResult accuracy =
        new ThresholdResult("accuracy", new MetricThreshold(0.9, 0.01, 0.02), 0.84, 0.81, false);
    ThresholdResult f1 =
        new ThresholdResult("macroF1", new MetricThreshold(0.5, null, null), 0.8, 0.79, true);

    // 0.81 < 0.9; drop 0.84 - 0.81 = 0.03 > 0.01; relative 0.03 / 0.84 = 0.0357 > 0.02.
    assertThat(DecisionPolicy.reason(List.of(accuracy, f1)))
        .isEqualTo(
            "accuracy 0.8100 vs float 0.8400: 0.8100 < min 0.9000, drop 0.0300 > maxAbsDrop"
                + " 0.0100, relative drop 0.0357 > maxRelDrop 0.0200");
    assertThat(DecisionPolicy.reason(List.of(f1))).isEqualTo("all thresholds passed");
  }

  @Test
  void picksTheRoundWithHighestAccuracyEarliestOnTies() {
    RoundResult r1 = round(1, 0.70);
    RoundResult r2 = round(2, 0.75);
    RoundResult r3 = round(3, 0.75);
    assertThat(DecisionPolicy.best(List.of(r1, r2, r3))).contains(r2);
    assertThat(DecisionPolicy.best(List.of(r3, r1))).contains(r3);
    assertThat(DecisionPolicy.best(List.of())).isEmpty();
  }

  private static ThresholdResult result(boolean passed) {
    return new ThresholdResult("accuracy", new MetricThreshold(0.5, null, null), 0.8, 0.7, passed);
  }

  private static RoundResult round(int round, double accuracy) {
    CheckpointRef ref = CheckpointRef.of(new byte[] {(byte) round});
    return new RoundResult(round, Decision.RETRAIN, Map.of("accuracy", accuracy), 1.0, ref, ref);
  }

  private static JobSpec specWithThresholds(Map<String, MetricThreshold> thresholds) {
    return new JobSpec("m", null, null, null, null, thresholds, null);
  }
}
