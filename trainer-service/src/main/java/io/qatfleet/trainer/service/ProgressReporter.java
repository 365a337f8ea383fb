package io.qatfleet.trainer.service;

import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.model.ModelGraph;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.core.train.TrainingProgress;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.service.FleetPublisher;
import java.util.Locale;
import java.util.function.Function;

/**
 * Listens to one training stage: at the end of every epoch it checkpoints the weights for
 * resumption ({@link EpochCheckpoints}) and publishes a {@link StatusUpdate}; within an epoch it
 * publishes at most {@code updatesPerEpoch} progress updates, evenly spread over the epoch's steps.
 * Epochs in status updates are 1-based ("epoch 2 of 3" is {@code epoch = 2}). Before every step it
 * asks {@link JobStops} whether the job must stop, and throws if so.
 */
final class ProgressReporter implements TrainingListener {

  private final String jobId;
  private final int round;
  private final String stage;
  private final int updatesPerEpoch;
  private final FleetPublisher publisher;
  private final EpochCheckpoints epochs;
  private final TrainerMetrics metrics;
  private final Function<ModelState, Checkpoint> toCheckpoint;
  private final JobStops stops;
  private final Runnable checkpointed;
  private int currentEpoch = -1;
  private int lastBucket;

  ProgressReporter(
      String jobId,
      int round,
      String stage,
      int updatesPerEpoch,
      FleetPublisher publisher,
      EpochCheckpoints epochs,
      TrainerMetrics metrics,
      JobStops stops,
      Runnable checkpointed,
      Function<ModelState, Checkpoint> toCheckpoint) {
    this.stops = stops;
    this.checkpointed = checkpointed;
    this.jobId = jobId;
    this.round = round;
    this.stage = stage;
    this.updatesPerEpoch = updatesPerEpoch;
    this.publisher = publisher;
    this.epochs = epochs;
    this.metrics = metrics;
    this.toCheckpoint = toCheckpoint;
  }

  /** Stops the stage before the next step if the job was cancelled or ran past its deadline. */
  @Override
  public void beforeStep(int epoch, int step) {
    stops.check(jobId);
  }

  @Override
  public void onProgress(TrainingProgress p) {
    if (p.epoch() != currentEpoch) {
      currentEpoch = p.epoch();
      lastBucket = 0;
    }
    int bucket = (int) ((long) p.step() * (updatesPerEpoch + 1) / Math.max(1, p.stepsPerEpoch()));
    if (bucket > lastBucket && bucket <= updatesPerEpoch) {
      lastBucket = bucket;
      publish(p, "");
    }
  }

  @Override
  public void onEpochEnd(TrainingProgress p, ModelGraph graph) {
    epochs.save(jobId, round, stage, p.epoch() + 1, toCheckpoint.apply(graph.export()));
    checkpointed.run();
    metrics.recordSamplesPerSecond(stage, p.samplesPerSecond());
    publish(p, "epoch done, checkpoint saved");
  }

  private void publish(TrainingProgress p, String note) {
    double done = (p.epoch() + (double) p.step() / Math.max(1, p.stepsPerEpoch())) / p.epochs();
    String message =
        String.format(
                Locale.ROOT,
                "%s epoch %d/%d step %d/%d loss %.4f %.0f samples/s",
                stage,
                p.epoch() + 1,
                p.epochs(),
                p.step(),
                p.stepsPerEpoch(),
                p.loss(),
                p.samplesPerSecond())
            + (note.isEmpty() ? "" : "; " + note);
    publisher.status(
        jobId, round, stage, done, message, p.epoch() + 1, p.loss(), p.samplesPerSecond());
  }
}
