package io.qatfleet.core.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JobBudgetTest {

  private static final JobBudget BUDGET = JobBudget.DEFAULTS;

  @Test
  void acceptsDemoJob() {
    assertThat(BUDGET.violations(JobSpec.fromJson("{\"name\": \"demo\"}"))).isEmpty();
  }

  @Test
  void rejectsFortyThousandUnitMlpNamingParameterCap() {
    JobSpec spec =
        JobSpec.fromJson(
            "{\"model\": {\"architecture\": \"mlp\", \"denseUnits\": [40000, 40000]}}");

    assertThat(spec.violations()).isEmpty();
    assertThat(BUDGET.violations(spec))
        .contains(
            "model: 1631840010 parameters exceed the cap of 10000000"
                + " (qat.budget.max-parameters)");
  }

  @Test
  void rejectsWideConvNamingFlopsCap() {
    // conv 3x3x1x1024 on 28x28: 2*9*1024*784 = 14,450,688; conv 3x3x1024x1024 on 14x14:
    // 2*9*1024*1024*196 = 3,699,376,128 FLOPs, over 200 M.
    JobSpec spec = JobSpec.fromJson("{\"model\": {\"convChannels\": [1024, 1024]}}");

    assertThat(BUDGET.violations(spec))
        .anyMatch(v -> v.startsWith("model: ") && v.endsWith("(qat.budget.max-flops-per-sample)"));
  }

  @Test
  void rejectsBillionEpochsNamingEpochCap() {
    JobSpec spec = JobSpec.fromJson("{\"training\": {\"floatEpochs\": 1000000000}}");

    assertThat(BUDGET.violations(spec))
        .contains(
            "training.floatEpochs: 1000000000 epochs exceed the cap of 100 (qat.budget.max-epochs)");
  }

  @Test
  void rejectsTooManyLayersNamingLayerCap() {
    JobSpec spec =
        JobSpec.fromJson(
            "{\"model\": {\"architecture\": \"mlp\", \"denseUnits\": ["
                + "8,8,8,8,8,8,8,8,8,8,8,8,8,8,8,8,8]}}");

    assertThat(BUDGET.violations(spec))
        .contains(
            "model.convChannels + model.denseUnits: 17 hidden layers exceed the cap of 16"
                + " (qat.budget.max-layers)");
  }

  @Test
  void rejectsBatchOverCap() {
    JobSpec spec = JobSpec.fromJson("{\"training\": {\"batchSize\": 8192}}");

    assertThat(BUDGET.violations(spec))
        .contains(
            "training.batchSize: 8192 samples exceed the cap of 4096 (qat.budget.max-batch-size)");
  }

  @Test
  void rejectsRoundsOverCap() {
    JobSpec spec = JobSpec.fromJson("{\"maxRounds\": 11}");

    assertThat(BUDGET.violations(spec))
        .contains("maxRounds: 11 rounds exceed the cap of 10 (qat.budget.max-rounds)");
  }

  @Test
  void rejectsTrainingImagesOverConfiguredCap() {
    JobBudget small = new JobBudget(10_000_000, 200_000_000, 16, 100, 10, 4096, 1000, 10_000, 60);
    JobSpec all = JobSpec.fromJson("{\"data\": {\"calibrationSize\": 5000}}");

    // 60,000 training images less the 5,000 held out for calibration
    assertThat(small.violations(all))
        .contains(
            "data.trainLimit: 55000 training images exceed the cap of 1000"
                + " (qat.budget.max-train-samples)");
  }

  @Test
  void rejectsDeadlineOverMaximum() {
    JobSpec spec = JobSpec.fromJson("{\"deadlineMinutes\": 1441}");

    assertThat(BUDGET.violations(spec))
        .contains(
            "deadlineMinutes: 1441 minutes exceed the cap of 1440"
                + " (qat.budget.max-deadline-minutes)");
  }

  @Test
  void givesJobWithoutDeadlineTheMaximum() {
    assertThat(BUDGET.deadlineMinutes(JobSpec.fromJson("{}"))).isEqualTo(24 * 60);
  }

  @Test
  void rejectsRetrainRoundOverEpochCap() {
    assertThat(BUDGET.roundViolation(5, 128))
        .isEqualTo("round 5: 128 epochs exceed the cap of 100 (qat.budget.max-epochs)");
  }
}
