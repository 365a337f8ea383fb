package io.qatfleet.trainer.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;

/**
 * The trainer's Micrometer meters, on {@code /q/metrics}. Tags have low cardinality only: the stage
 * ({@value #BASELINE} or {@value #QAT}), an outcome ({@code ok}, {@code error}) or a failure kind
 * (an enum name or exception class), never a job id. {@code @Startup} so that every meter exists,
 * at zero, before the first record arrives.
 */
@Startup
@ApplicationScoped
public class TrainerMetrics {

  /** Stage tag of the float baseline. */
  public static final String BASELINE = "baseline";

  /** Stage tag of a QAT round. */
  public static final String QAT = "qat";

  /** Stage tag of a retraining trigger turned into a job. */
  public static final String TRIGGER = "trigger";

  public static final String OUTCOME_OK = "ok";
  public static final String OUTCOME_ERROR = "error";

  /** The job was cancelled or ran past its deadline during the stage. */
  public static final String OUTCOME_STOPPED = "stopped";

  private final MeterRegistry registry;

  public TrainerMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (String stage : List.of(BASELINE, QAT)) {
      for (String outcome : List.of(OUTCOME_OK, OUTCOME_ERROR, OUTCOME_STOPPED)) {
        timer(stage, outcome);
      }
      samplesPerSecond(stage);
      checkpointBytes(stage);
    }
    for (String stage : List.of(BASELINE, QAT, TRIGGER)) {
      duplicates(stage);
    }
  }

  /** Wall time of one training stage, from request to acknowledged outcome. */
  public void recordDuration(String stage, String outcome, Duration duration) {
    timer(stage, outcome).record(duration);
  }

  /** Training throughput of one finished epoch. */
  public void recordSamplesPerSecond(String stage, double samplesPerSecond) {
    samplesPerSecond(stage).record(samplesPerSecond);
  }

  /** Size of a checkpoint the trainer put into the checkpoint store. */
  public void recordCheckpointBytes(String stage, long bytes) {
    checkpointBytes(stage).record(bytes);
  }

  /** A redelivered or duplicated request whose stage had already finished. */
  public void countDuplicate(String stage) {
    duplicates(stage).increment();
  }

  private Timer timer(String stage, String outcome) {
    return Timer.builder("qat.train.duration")
        .description("Wall time of a training stage")
        .tag("stage", stage)
        .tag("outcome", outcome)
        .register(registry);
  }

  private DistributionSummary samplesPerSecond(String stage) {
    return DistributionSummary.builder("qat.train.samples.per.second")
        .description("Training throughput per epoch")
        .tag("stage", stage)
        .register(registry);
  }

  private DistributionSummary checkpointBytes(String stage) {
    return DistributionSummary.builder("qat.checkpoint.bytes")
        .description("Size of checkpoints put into the checkpoint store")
        .baseUnit("bytes")
        .tag("stage", stage)
        .register(registry);
  }

  private Counter duplicates(String stage) {
    return Counter.builder("qat.train.duplicates")
        .description("Requests skipped because their stage had already finished")
        .tag("stage", stage)
        .register(registry);
  }
}
