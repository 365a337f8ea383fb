package io.qatfleet.validator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.Distillation;
import io.qatfleet.core.train.TrainingSpec;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.event.ThresholdResult;
import io.qatfleet.validator.service.RemedyPolicy.Plan;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The remedy policy's steps on hand-made rounds. The demo CNN has four weight layers (0..3); at
 * W2A2 layers 1 and 2 are at 2 bits and the first and last at 8.
 */
class RemedyPolicyTest {
  private static final CheckpointRef BASELINE = CheckpointRef.of(new byte[] {1, 2, 3});
  private static final RemedyPolicy POLICY = new RemedyPolicy(2, 10);

  /** Float 0.80, bar: at most 0.01 lost; a quantized accuracy of {@code q} misses by 0.79 − q. */
  private static List<ThresholdResult> accuracy(double q) {
    MetricThreshold bar = new MetricThreshold(null, 0.01, null);
    return List.of(new ThresholdResult("accuracy", bar, 0.80, q, bar.passes(q, 0.80)));
  }

  private static JobSpec spec(int qatEpochs, Distillation distillation) {
    return new JobSpec(
        "m",
        null,
        null,
        QuantizationSpec.of(2, 2, null),
        new TrainingSpec(
            null,
            qatEpochs,
            null,
            null,
            null,
            null,
            1e-3,
            null,
            null,
            null,
            null,
            null,
            distillation),
        null,
        null);
  }

  private static Map<String, Double> lossChange(double change) {
    return Map.of(RemedyPolicy.LAST_EPOCH_LOSS_CHANGE, change);
  }

  @Test
  void followsPostTrainingQuantizationWithTheJobsEpochsAndDistillation() {
    // 0.75 misses by 0.79 - 0.75 = 0.04 >= 0.005: distillation on, from the baseline.
    Plan plan = POLICY.plan(spec(3, null), 0, accuracy(0.75), Map.of(), BASELINE, Map.of(), null);
    assertThat(plan.epochs()).isEqualTo(3);
    assertThat(plan.learningRate()).isEqualTo(1e-3);
    assertThat(plan.remedy().miss()).isCloseTo(0.04, within(1e-12));
    assertThat(plan.remedy().lossFalling()).isNull();
    assertThat(plan.remedy().distillation())
        .isEqualTo(new Distillation(Distillation.DEFAULT_ALPHA, Distillation.DEFAULT_TEMPERATURE));
    assertThat(plan.remedy().teacher()).isEqualTo(BASELINE);
    assertThat(plan.remedy().weightBits()).isEmpty();
    assertThat(plan.remedy().changes())
        .containsExactly(
            "epochs 0 → 3: the round trained none (post-training quantization)",
            "distillation on (alpha 0.90, T 2.0) from the float baseline: missed the bar by"
                + " 0.0400");
  }

  @Test
  void doublesEpochsWhileTheLossFallsAndLeavesSmallMissesUndistilled() {
    // 0.787 misses by 0.003 < 0.005; the loss fell 5 % in the last epoch.
    Plan plan =
        POLICY.plan(spec(2, null), 2, accuracy(0.787), lossChange(-0.05), BASELINE, Map.of(), null);
    assertThat(plan.epochs()).isEqualTo(4);
    assertThat(plan.learningRate()).isEqualTo(1e-3);
    assertThat(plan.remedy().lossFalling()).isTrue();
    assertThat(plan.remedy().distillation()).isNull();
    assertThat(plan.remedy().teacher()).isNull();
    assertThat(plan.remedy().changes())
        .containsExactly("epochs 2 → 4: the loss was still falling (-5.0 % in the last epoch)");
  }

  @Test
  void halvesTheLearningRateWhenTheLossIsFlat() {
    Plan plan =
        POLICY.plan(
            spec(2, null), 2, accuracy(0.787), lossChange(-0.004), BASELINE, Map.of(), null);
    assertThat(plan.epochs()).isEqualTo(2);
    assertThat(plan.learningRate()).isEqualTo(5e-4);
    assertThat(plan.remedy().lossFalling()).isFalse();
  }

  @Test
  void capsTheEpochs() {
    Plan plan = POLICY.plan(spec(8, null), 8, accuracy(0.787), Map.of(), BASELINE, Map.of(), null);
    assertThat(plan.epochs()).isEqualTo(10);
  }

  @Test
  void keepsDistillationOnWithItsSettingsAndTheBaselineAsTeacher() {
    Distillation own = new Distillation(0.7, 2.0);
    Plan plan = POLICY.plan(spec(1, own), 1, accuracy(0.70), Map.of(), BASELINE, Map.of(), null);
    assertThat(plan.remedy().distillation()).isEqualTo(own);
    assertThat(plan.remedy().teacher()).isEqualTo(BASELINE);
    assertThat(plan.remedy().changes()).noneMatch(c -> c.startsWith("distillation"));
  }

  @Test
  void raisesTheMostSensitiveLayersWithinMaxBitsOnePerTwoPointsOfMiss() {
    // Miss 0.79 - 0.74 = 0.05: two layers. Layers 0 and 3 (8 bits) are above maxBits 4, so layers
    // 2 and 1 (2 bits) are raised, the most sensitive first.
    Map<Integer, Double> sensitivities = Map.of(0, 0.001, 1, 0.02, 2, 0.09, 3, 0.5);
    Plan plan = POLICY.plan(spec(1, null), 1, accuracy(0.74), Map.of(), BASELINE, sensitivities, 4);
    assertThat(plan.remedy().weightBits()).containsExactly(Map.entry("1", 3), Map.entry("2", 3));
    assertThat(plan.remedy().changes())
        .contains(
            "layer 2 weights 2 → 3 bits: the most sensitive layer left (0.0900 accuracy lost"
                + " quantized alone), within maxBits 4");
    // A miss of 0.03 raises one layer; 0.015, without distillation, none; nor does a miss without
    // an allowance or without sensitivities.
    assertThat(
            POLICY
                .plan(spec(1, null), 1, accuracy(0.76), Map.of(), BASELINE, sensitivities, 4)
                .remedy()
                .weightBits())
        .containsExactly(Map.entry("2", 3));
    assertThat(
            POLICY
                .plan(spec(1, null), 1, accuracy(0.775), Map.of(), BASELINE, sensitivities, 4)
                .remedy()
                .weightBits())
        .isEmpty();
    assertThat(
            POLICY
                .plan(spec(1, null), 1, accuracy(0.74), Map.of(), BASELINE, sensitivities, null)
                .remedy()
                .weightBits())
        .isEmpty();
    assertThat(
            POLICY
                .plan(spec(1, null), 1, accuracy(0.74), Map.of(), BASELINE, Map.of(), 4)
                .remedy()
                .weightBits())
        .isEmpty();
  }

  @Test
  void measuresTheMissAgainstEveryBoundOfEveryFailedThreshold() {
    MetricThreshold min = new MetricThreshold(0.9, null, null);
    MetricThreshold rel = new MetricThreshold(null, null, 0.05);
    // min: 0.9 - 0.85 = 0.05; relative: (0.95 - 0.85) - 0.05 * 0.95 = 0.0525.
    assertThat(
            RemedyPolicy.miss(
                List.of(
                    new ThresholdResult("accuracy", min, 0.95, 0.85, false),
                    new ThresholdResult("macroF1", rel, 0.95, 0.85, false))))
        .isCloseTo(0.0525, within(1e-12));
    assertThat(RemedyPolicy.miss(List.of(new ThresholdResult("accuracy", min, 0.95, 0.2, true))))
        .isZero();
  }
}
