package io.qatfleet.trainer.service;

import io.qatfleet.core.data.DataLimits;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.job.DataCheck;
import io.qatfleet.core.job.JobBudget;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.trainer.TrainerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.List;

/**
 * The trainer's {@link JobBudget}, from {@code qat.budget.*}: the job API answers 400 with its
 * violations, and the training stages check it again before they allocate anything, since a job can
 * reach {@code qat.jobs} or {@code qat.train} without passing the API.
 */
@ApplicationScoped
public class Budgets {

  private final JobBudget budget;
  private final DatasetLoader datasets;

  Budgets(TrainerConfig config) {
    TrainerConfig.Budget b = config.budget();
    this.budget =
        new JobBudget(
            b.maxParameters(),
            b.maxFlopsPerSample(),
            b.maxLayers(),
            b.maxEpochs(),
            b.maxRounds(),
            b.maxBatchSize(),
            b.maxTrainSamples(),
            b.maxTestSamples(),
            b.maxDeadlineMinutes());
    this.datasets =
        DatasetLoader.fromEnvironment(
            new DataLimits(
                b.maxDatasetBytes(), b.maxSourceBytes(), b.maxImagePixels(), b.maxCsvColumns()));
  }

  /** The loader the trainer reads datasets with, within the {@code qat.budget.*} data caps. */
  public DatasetLoader datasets() {
    return datasets;
  }

  /**
   * Where a job's data by reference does not fit its model or cannot be read ({@link DataCheck});
   * reads the files (once per process, through the loader's cache).
   */
  public List<String> dataViolations(JobSpec spec) {
    return DataCheck.violations(spec, datasets, budget);
  }

  public JobBudget budget() {
    return budget;
  }

  /** Cancellations and deadlines of the jobs this instance knows, against the system clock. */
  @Produces
  @Singleton
  JobStops jobStops() {
    return new JobStops(budget, Clock.systemUTC());
  }

  /** Every cap {@code spec} exceeds; empty when it fits. */
  public List<String> violations(JobSpec spec) {
    return budget.violations(spec);
  }

  /**
   * Throws {@link RejectedInputException} ({@link RejectionReason#INVALID_SPEC}) naming every way
   * the job's data by reference does not fit its model or cannot be read, for a job that reached
   * {@code qat.jobs} without passing the API; reads the files once (the loader caches them for the
   * training that follows).
   */
  void requireData(JobSpec spec) {
    List<String> problems = dataViolations(spec);
    if (!problems.isEmpty()) {
      throw new RejectedInputException(
          RejectionReason.INVALID_SPEC,
          "the job's data does not fit its model: " + String.join("; ", problems));
    }
  }

  /**
   * Throws {@link RejectedInputException} ({@link RejectionReason#OVER_BUDGET}) naming every cap
   * {@code spec} exceeds.
   */
  void require(JobSpec spec) {
    List<String> problems = budget.violations(spec);
    if (!problems.isEmpty()) {
      throw new RejectedInputException(
          RejectionReason.OVER_BUDGET,
          "the job exceeds the trainer's budget: " + String.join("; ", problems));
    }
  }
}
