package io.qatfleet.trainer.service;

import io.qatfleet.core.BuildInfo;
import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.CheckpointKind;
import io.qatfleet.core.checkpoint.EncodedCheckpoint;
import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.data.DatasetDescription;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelGraph;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.pipeline.MixedPrecisionPlan;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import io.qatfleet.core.pipeline.QatPipeline;
import io.qatfleet.core.pipeline.Sensitivity;
import io.qatfleet.core.pipeline.StageResult;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.NonFiniteLossException;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.Remedy;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.stage.StageLedger;
import io.qatfleet.service.FleetConfig;
import io.qatfleet.service.FleetPublisher;
import io.qatfleet.service.RecordGuard;
import io.qatfleet.trainer.TrainerConfig;
import io.qatfleet.trainer.messaging.Channels;
import io.qatfleet.trainer.messaging.EventPublisher;
import io.qatfleet.trainer.service.JobStops.JobStoppedException;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The trainer's two stages, each a slice of {@link QatPipeline}:
 *
 * <ul>
 *   <li><b>Baseline</b> ({@link JobSubmitted}, round 0): float training with a checkpoint after
 *       every epoch; then the float checkpoint goes to the {@link CheckpointStore}, {@code
 *       FloatCheckpointReady(baseline)} to {@code qat.validate} (the reference) and to {@code
 *       qat.quantize} (post-training quantization, round 0), and {@code TrainRequested(round 1)} to
 *       {@code qat.train} unless the spec's strategy is {@code ptq_first}. A job submitted with a
 *       checkpoint (a retraining trigger) skips float training and hands that checkpoint on as both
 *       the baseline and round 1's start.
 *   <li><b>QAT round</b> ({@link TrainRequested} / {@link RetrainRequested}, round r &ge; 1): loads
 *       the start checkpoint, adds step sizes with the range observers if it has none yet (the
 *       baseline stage ran them for round 1 before publishing, {@link QuantizerStarts}), trains
 *       with fake quantization (float shadow weights) and checkpoints every epoch; then the QAT
 *       checkpoint goes to the store and {@code FloatCheckpointReady(round r)} to {@code
 *       qat.quantize}.
 * </ul>
 *
 * Either stops before its next training step when the job is cancelled or past its deadline ({@link
 * JobStops}), and ends the job with {@code JobFailed} naming why. Both are idempotent by (jobId,
 * round, stage) through the {@link StageLedger}, marked only after the outcome events were
 * acknowledged, and run under the stage's lease ({@link RoundLeases}), so that two trainers never
 * work on one round at once; a redelivered request for a finished stage is skipped, one for an
 * unfinished stage resumes after the last checkpointed epoch. Failures propagate to the caller,
 * which routes the record to the dead-letter topic. A stage that succeeds logs one line of where
 * its time went ({@link StageLaps}): how long after its request event's timestamp it started
 * ("queued": publishing and delivering that event), then each step, training among them.
 */
@ApplicationScoped
public class TrainingService {

  private static final Logger LOG = Logger.getLogger(TrainingService.class);
  private static final String FIRST_QAT_ROUND = "first QAT round";

  private final EventPublisher publisher;
  private final FleetPublisher progress;
  private final CheckpointStore store;
  private final StageLedger ledger;
  private final EventCodec codec;
  private final TrainerMetrics metrics;
  private final TrainerConfig config;
  private final EpochCheckpoints epochs;
  private final DatasetLoader datasets;
  private final CheckpointCodec checkpointCodec = new CheckpointCodec();
  private final FleetConfig fleetConfig;
  private final RoundLeases leases;
  private final ScheduledExecutorService renewals =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "round-lease-renewal");
            t.setDaemon(true);
            return t;
          });
  private final Budgets budgets;
  private final JobStops stops;
  private final RecordGuard guard;
  private final QuantizerStarts quantizerStarts = new QuantizerStarts();

  TrainingService(
      EventPublisher publisher,
      FleetPublisher progress,
      CheckpointStore store,
      StageLedger ledger,
      EventCodec codec,
      TrainerMetrics metrics,
      TrainerConfig config,
      FleetConfig fleetConfig,
      Budgets budgets,
      JobStops stops,
      RecordGuard guard) {
    this.stops = stops;
    this.guard = guard;
    this.publisher = publisher;
    this.progress = progress;
    this.store = store;
    this.ledger = ledger;
    this.codec = codec;
    this.metrics = metrics;
    this.config = config;
    this.fleetConfig = fleetConfig;
    this.budgets = budgets;
    this.datasets = budgets.datasets();
    this.epochs = new EpochCheckpoints(fleetConfig.stateDir());
    // No job lives past the longest deadline: what a round left behind before that is an orphan.
    int pruned =
        epochs.prune(
            Duration.ofMinutes(budgets.budget().maxDeadlineMinutes()), Clock.systemUTC().instant());
    if (pruned > 0) {
      LOG.infof("deleted the epoch checkpoints of %d jobs past the longest deadline", pruned);
    }
    this.leases =
        new RoundLeases(
            fleetConfig.stateDir(),
            RoundLeases.newOwnerId(),
            config.roundLease(),
            Clock.systemUTC());
  }

  /**
   * At the start of a shutdown, before any bean is destroyed: a training stage stops at its next
   * step instead of running on into a stopped container (its record stays uncommitted and resumes
   * on the next instance from the last epoch checkpoint).
   */
  void onShutdown(@Observes ShutdownEvent event) {
    stops.serviceStopping();
  }

  @PreDestroy
  void stopRenewals() {
    renewals.shutdownNow();
  }

  /** A stage's work while it holds the stage's lease. */
  @FunctionalInterface
  private interface LeasedWork {
    void run(RoundLeases.Lease lease) throws Exception;
  }

  /**
   * Runs {@code work} holding the lease of (job, round, stage), renewed meanwhile. While another
   * trainer holds it (a rebalance moved the request here while that one still trains it), waits;
   * skips the work as a duplicate when the stage is done once the lease is free.
   */
  private void leased(String jobId, int round, String stage, LeasedWork work) throws Exception {
    Optional<RoundLeases.Lease> acquired = leases.tryAcquire(jobId, round, stage);
    boolean told = false;
    while (acquired.isEmpty()) {
      if (ledger.isDone(jobId, round, stage)) {
        skipDone(jobId, round, stage);
        return;
      }
      if (!told) {
        told = true;
        status(
            jobId,
            round,
            stage,
            0,
            "waiting: trainer "
                + leases.holder(jobId, round, stage).orElse("?")
                + " is working on this round",
            null);
      }
      Thread.sleep(Math.max(200, leases.ttl().toMillis() / 20));
      stops.requireServiceRunning(jobId);
      acquired = leases.tryAcquire(jobId, round, stage);
    }
    long every = Math.max(1, leases.ttl().toMillis() / 3);
    try (RoundLeases.Lease lease = acquired.get()) {
      ScheduledFuture<?> renewal =
          renewals.scheduleAtFixedRate(lease::renew, every, every, TimeUnit.MILLISECONDS);
      try {
        if (ledger.isDone(jobId, round, stage)) {
          skipDone(jobId, round, stage);
          return;
        }
        work.run(lease);
      } finally {
        renewal.cancel(false);
      }
    }
  }

  /**
   * Whether the stage may publish its outcome: not if its lease was taken over (this trainer
   * stalled past the lease's ttl), since the trainer that took it over publishes it.
   */
  private static boolean stillHeld(RoundLeases.Lease lease, String jobId, int round) {
    if (!lease.renew()) {
      LOG.warnf(
          "job %s round %d: lease lost to another trainer, which finishes the round; not publishing",
          jobId, round);
      return false;
    }
    return true;
  }

  private void skipDone(String jobId, int round, String stage) {
    LOG.infof("job %s: %s of round %d already done, skipping duplicate", jobId, stage, round);
    metrics.countDuplicate(stage);
    epochs.clear(jobId, round, stage); // left behind if the trainer died right after the outcome
  }

  /** Round 0: the float baseline of a submitted job, then the request for the first QAT round. */
  public void baseline(JobSubmitted job) throws Exception {
    StageLaps laps = new StageLaps();
    Duration queued = Duration.between(job.timestamp(), Instant.now());
    budgets.require(job.spec());
    budgets.requireData(job.spec());
    String stage = TrainerMetrics.BASELINE;
    if (ledger.isDone(job.jobId(), 0, stage)) {
      LOG.infof("job %s: baseline already done, skipping duplicate %s", job.jobId(), job.eventId());
      metrics.countDuplicate(stage);
      epochs.clear(job.jobId(), 0, stage);
      return;
    }
    stops.apply(job);
    laps.lap("checks");
    leased(job.jobId(), 0, stage, lease -> baseline(job, stage, lease, laps, queued));
  }

  private void baseline(
      JobSubmitted job, String stage, RoundLeases.Lease lease, StageLaps laps, Duration queued) {
    long t0 = System.nanoTime();
    laps.lap("lease");
    String outcome = TrainerMetrics.OUTCOME_ERROR;
    try {
      stops.check(job.jobId());
      JobSpec spec = job.spec();
      CheckpointRef ref;
      QatPipeline pipeline = null;
      ModelState baselineState;
      Map<String, Double> trainingMetrics = new LinkedHashMap<>();
      if (job.checkpoint() != null) {
        Checkpoint start = fetch(job.checkpoint(), laps);
        requireFloat(start, job.checkpoint());
        ref = job.checkpoint();
        baselineState = ModelCheckpoints.state(start);
        status(job.jobId(), 0, stage, 1, "starting from checkpoint " + ref.shortId(), null);
      } else {
        pipeline = QatPipeline.forJob(spec, datasets);
        laps.lap("data");
        Optional<EpochCheckpoints.Saved> saved = epochs.latest(job.jobId(), 0, stage);
        ModelState start = pipeline.initialState();
        int startEpoch = 0;
        if (saved.isPresent() && saved.get().epochsDone() <= spec.training().floatEpochs()) {
          start = ModelCheckpoints.state(saved.get().checkpoint());
          startEpoch = saved.get().epochsDone();
          status(
              job.jobId(),
              0,
              stage,
              (double) startEpoch / Math.max(1, spec.training().floatEpochs()),
              "resuming after epoch " + startEpoch + " of " + spec.training().floatEpochs(),
              startEpoch);
        } else {
          status(job.jobId(), 0, stage, 0, "float baseline started", null);
        }
        DatasetDescription dataset = pipeline.data().description();
        ProgressReporter reporter =
            new ProgressReporter(
                job.jobId(),
                0,
                stage,
                config.statusUpdatesPerEpoch(),
                progress,
                epochs,
                metrics,
                stops,
                guard::madeProgress,
                state ->
                    ModelCheckpoints.ofFloat(
                        spec.model(), null, state, provenance(job.jobId(), 0, null, dataset)));
        laps.lap("start");
        StageResult result = pipeline.trainFloat(start, startEpoch, reporter);
        laps.lap("training");
        putFinite(trainingMetrics, result);
        baselineState = result.state();
        ref =
            put(
                ModelCheckpoints.ofFloat(
                    spec.model(), null, result.state(), provenance(job.jobId(), 0, null, dataset)),
                stage,
                laps);
      }
      // The spec every later stage runs under: an automatic one with its bits chosen.
      JobSpec run =
          spec.quantization().resolved(spec.model().layerCount())
              ? spec
              : chooseBits(
                  job.jobId(),
                  pipeline != null ? pipeline : QatPipeline.forJob(spec, datasets),
                  baselineState,
                  stage);
      laps.lap("bits");
      if (!run.ptqFirst() && run.quantization() != null && !hasQuantization(run, baselineState)) {
        // Observed now, before round 0's quantizer and validator start beside round 1.
        QatPipeline first =
            pipeline != null && run == spec ? pipeline : QatPipeline.forJob(run, datasets);
        quantizerStarts.put(
            job.jobId(), ref.sha256(), run.quantization(), first.initQuantization(baselineState));
        laps.lap("observers");
      }
      FloatCheckpointReady ready =
          new FloatCheckpointReady(
              QatEvent.newEventId(),
              job.jobId(),
              0,
              ref,
              Instant.now(),
              run,
              true,
              trainingMetrics);
      TrainRequested next =
          new TrainRequested(
              QatEvent.newEventId(),
              job.jobId(),
              1,
              ref,
              Instant.now(),
              run,
              FIRST_QAT_ROUND,
              run.training().qatEpochs(),
              run.training().qatLearningRate(),
              ref);
      if (!stillHeld(lease, job.jobId(), 0)) {
        return;
      }
      laps.lap("events");
      publisher.publish(Channels.VALIDATE_OUT, ready);
      // The quantizer makes the baseline round 0, post-training quantization, which the validator
      // reports beside the QAT rounds; under ptq_first it is judged first, and the validator, not
      // the trainer, asks for round 1 when it misses.
      publisher.publish(Channels.QUANTIZE_OUT, ready);
      if (!spec.ptqFirst()) {
        publisher.publish(Channels.TRAIN_OUT, next);
      }
      laps.lap("publish");
      ledger.markDone(
          job.jobId(), 0, stage, new String(codec.encode(ready), StandardCharsets.UTF_8));
      epochs.clear(job.jobId(), 0, stage);
      laps.lap("ledger");
      status(job.jobId(), 0, stage, 1, "baseline done: checkpoint " + ref.shortId(), null);
      laps.lap("status");
      LOG.infof(
          "job %s baseline: queued %.3f s; %s",
          job.jobId(), queued.toNanos() / 1e9, laps.describe());
      outcome = TrainerMetrics.OUTCOME_OK;
    } catch (JobStoppedException e) {
      stopped(job.jobId(), 0, stage, e);
      outcome = TrainerMetrics.OUTCOME_STOPPED;
    } catch (NonFiniteLossException e) {
      diverged(job.jobId(), 0, stage, e, job.checkpoint());
    } finally {
      metrics.recordDuration(stage, outcome, Duration.ofNanos(System.nanoTime() - t0));
    }
  }

  /**
   * The per-layer weight bits of an automatic spec, from the baseline's sensitivity on the
   * calibration split: the job's spec with the chosen bits pinned, which every later stage runs
   * under.
   */
  private JobSpec chooseBits(
      String jobId, QatPipeline pipeline, ModelState baseline, String stage) {
    status(
        jobId,
        0,
        stage,
        1,
        "measuring per-layer sensitivity on the calibration split to choose weight bits",
        null);
    MixedPrecisionPlan plan =
        MixedPrecisionPlan.choose(pipeline, baseline, Sensitivity.DEFAULT_SAMPLES);
    LOG.infof("job %s: %s", jobId, plan.describe());
    status(jobId, 0, stage, 1, plan.describe(), null);
    return pipeline.job().withQuantization(plan.resolved());
  }

  /**
   * A QAT round asked for by the trainer itself after the baseline (or, for a job that distils, by
   * the spec): a spec with distillation distils from the round's start, the float baseline.
   */
  public void qatRound(TrainRequested request) throws Exception {
    if (request.round() == 0) {
      throw new RejectedInputException(
          RejectionReason.UNSUPPORTED_ROUND,
          "TrainRequested for round 0: the float baseline starts from JobSubmitted on qat.jobs");
    }
    StageLaps laps = new StageLaps();
    Duration queued = Duration.between(request.timestamp(), Instant.now());
    JobSpec spec = request.spec();
    budgets.require(spec);
    qatRound(
        laps,
        queued,
        request.jobId(),
        request.round(),
        spec,
        request.startFrom(),
        spec.training().distillation() == null ? null : request.startFrom(),
        request.epochs(),
        request.learningRate());
  }

  /**
   * Another QAT round asked for by the validator, from the calibrated checkpoint it names, with its
   * remedy applied to the failed round's spec (epochs and learning rate as QAT budget,
   * distillation, raised weight bits), so that the round's checkpoint and events carry the spec it
   * really ran with.
   */
  public void qatRound(RetrainRequested request) throws Exception {
    StageLaps laps = new StageLaps();
    Duration queued = Duration.between(request.timestamp(), Instant.now());
    // The failed round's spec must fit the budget; the remedy's epochs are checked as the round's
    // (over the cap, the job fails rather than its send-back being dead-lettered).
    budgets.require(request.spec());
    Remedy remedy = request.remedy();
    JobSpec spec =
        remedy == null
            ? request.spec()
            : remedy.applyTo(request.spec(), request.epochs(), request.learningRate());
    List<String> violations = spec.violations();
    if (!violations.isEmpty()) {
      throw new RejectedInputException(
          RejectionReason.INVALID_SPEC,
          "the remedy of round "
              + request.round()
              + " makes the spec invalid: "
              + String.join("; ", violations));
    }
    qatRound(
        laps,
        queued,
        request.jobId(),
        request.nextRound(),
        spec,
        request.checkpoint(),
        remedy == null ? null : remedy.teacher(),
        request.epochs(),
        request.learningRate());
  }

  private void qatRound(
      StageLaps laps,
      Duration queued,
      String jobId,
      int round,
      JobSpec spec,
      CheckpointRef startFrom,
      CheckpointRef teacher,
      int roundEpochs,
      double learningRate)
      throws Exception {
    if (spec.training().distillation() != null && teacher == null) {
      throw new RejectedInputException(
          RejectionReason.INVALID_SPEC,
          "round " + round + " distils (training.distillation) but names no teacher checkpoint");
    }
    String stage = TrainerMetrics.QAT;
    if (ledger.isDone(jobId, round, stage)) {
      LOG.infof("job %s: QAT round %d already done, skipping duplicate", jobId, round);
      metrics.countDuplicate(stage);
      return;
    }
    laps.lap("checks");
    leased(
        jobId,
        round,
        stage,
        lease ->
            qatRound(
                jobId,
                round,
                spec,
                startFrom,
                teacher,
                roundEpochs,
                learningRate,
                lease,
                laps,
                queued));
  }

  private void qatRound(
      String jobId,
      int round,
      JobSpec spec,
      CheckpointRef startFrom,
      CheckpointRef teacher,
      int roundEpochs,
      double learningRate,
      RoundLeases.Lease lease,
      StageLaps laps,
      Duration queued) {
    String stage = TrainerMetrics.QAT;
    long t0 = System.nanoTime();
    laps.lap("lease");
    String outcome = TrainerMetrics.OUTCOME_ERROR;
    try {
      stops.check(jobId);
      // A round past the cap (a remedy's epochs too) ends the job rather than running.
      String overBudget = budgets.budget().roundViolation(round, roundEpochs);
      if (overBudget != null) {
        throw new JobStoppedException(jobId, "over budget: " + overBudget);
      }
      QatPipeline pipeline = QatPipeline.forJob(spec, datasets);
      DatasetDescription dataset = pipeline.data().description();
      laps.lap("data");
      String parent = startFrom == null ? null : startFrom.sha256();
      QuantizationSpec quantization = spec.quantization();
      Optional<EpochCheckpoints.Saved> saved = epochs.latest(jobId, round, stage);
      ModelState start;
      int startEpoch = 0;
      if (saved.isPresent() && saved.get().epochsDone() <= roundEpochs) {
        start = ModelCheckpoints.state(saved.get().checkpoint());
        startEpoch = saved.get().epochsDone();
        status(
            jobId,
            round,
            stage,
            (double) startEpoch / roundEpochs,
            "resuming after epoch " + startEpoch + " of " + roundEpochs,
            startEpoch);
      } else {
        ModelState initial;
        if (startFrom == null) {
          initial = pipeline.initialState();
        } else {
          Checkpoint checkpoint = fetch(startFrom, laps);
          requireFloat(checkpoint, startFrom);
          initial = ModelCheckpoints.state(checkpoint);
          QuantizationSpec trainedFor = ModelCheckpoints.quantizationSpec(checkpoint);
          if (trainedFor != null && !trainedFor.equals(quantization)) {
            initial = pipeline.carryStepSizes(initial, trainedFor);
          }
          laps.lap("state");
        }
        if (!hasQuantization(spec, initial)) {
          ModelState unobserved = initial;
          initial =
              (startFrom == null
                      ? Optional.<ModelState>empty()
                      : quantizerStarts.take(jobId, startFrom.sha256(), quantization))
                  .orElseGet(() -> pipeline.initQuantization(unobserved));
          laps.lap("observers");
        }
        start = initial;
        status(
            jobId,
            round,
            stage,
            0,
            "QAT round "
                + round
                + " started from "
                + (startFrom == null ? "initial weights" : "checkpoint " + startFrom.shortId())
                + (teacher == null ? "" : ", distilling from " + teacher.shortId()),
            null);
      }
      ModelState teacherState = null;
      if (spec.training().distillation() != null) {
        Checkpoint teacherCheckpoint = fetch(teacher, laps);
        requireFloat(teacherCheckpoint, teacher);
        teacherState = ModelCheckpoints.state(teacherCheckpoint);
      }
      ProgressReporter reporter =
          new ProgressReporter(
              jobId,
              round,
              stage,
              config.statusUpdatesPerEpoch(),
              progress,
              epochs,
              metrics,
              stops,
              guard::madeProgress,
              state ->
                  ModelCheckpoints.ofFloat(
                      spec.model(),
                      quantization,
                      state,
                      provenance(jobId, round, parent, dataset)));
      laps.lap("start");
      StageResult result =
          pipeline.trainQat(start, teacherState, roundEpochs, learningRate, startEpoch, reporter);
      laps.lap("training");
      Map<String, Double> trainingMetrics = new LinkedHashMap<>();
      putFinite(trainingMetrics, result);
      CheckpointRef ref =
          put(
              ModelCheckpoints.ofFloat(
                  spec.model(),
                  quantization,
                  result.state(),
                  provenance(jobId, round, parent, dataset)),
              stage,
              laps);
      FloatCheckpointReady ready =
          new FloatCheckpointReady(
              QatEvent.newEventId(),
              jobId,
              round,
              ref,
              Instant.now(),
              spec,
              false,
              trainingMetrics);
      if (!stillHeld(lease, jobId, round)) {
        return;
      }
      laps.lap("events");
      publisher.publish(Channels.QUANTIZE_OUT, ready);
      laps.lap("publish");
      ledger.markDone(jobId, round, stage, new String(codec.encode(ready), StandardCharsets.UTF_8));
      epochs.clear(jobId, round, stage);
      laps.lap("ledger");
      status(jobId, round, stage, 1, "QAT round " + round + " done: " + ref.shortId(), null);
      laps.lap("status");
      LOG.infof(
          "job %s QAT round %d: queued %.3f s; %s",
          jobId, round, queued.toNanos() / 1e9, laps.describe());
      outcome = TrainerMetrics.OUTCOME_OK;
    } catch (JobStoppedException e) {
      stopped(jobId, round, stage, e);
      outcome = TrainerMetrics.OUTCOME_STOPPED;
    } catch (NonFiniteLossException e) {
      diverged(jobId, round, stage, e, startFrom);
    } finally {
      metrics.recordDuration(stage, outcome, Duration.ofNanos(System.nanoTime() - t0));
    }
  }

  /**
   * Ends a job whose stage was stopped (cancelled, or past its deadline): {@code JobFailed} with
   * the reason on {@code qat.status}, awaited, then the stage marked done so that a redelivery does
   * not train it again, and its epoch checkpoints removed.
   */
  private void stopped(String jobId, int round, String stage, JobStoppedException e) {
    LOG.infof("job %s round %d: %s", jobId, round, e.getMessage());
    JobFailed failed =
        new JobFailed(
            QatEvent.newEventId(), jobId, round, null, Instant.now(), e.getMessage(), null, null);
    progress.report(failed);
    ledger.markDone(jobId, round, stage, new String(codec.encode(failed), StandardCharsets.UTF_8));
    epochs.clear(jobId, round, stage);
  }

  /**
   * Ends a job whose training diverged (a NaN or infinite loss): {@code JobFailed} naming the step
   * and the learning rate, with the last good checkpoint as its {@code checkpoint} — the stage's
   * last finished epoch, put into the store, else the checkpoint the stage started from (null for a
   * baseline that diverged in its first epoch) — then the stage marked done, so that a redelivery
   * does not diverge again, and its epoch checkpoints removed. Training again with the same spec
   * would diverge the same way; the reason says what to change.
   */
  private void diverged(
      String jobId, int round, String stage, NonFiniteLossException e, CheckpointRef startedFrom) {
    Optional<EpochCheckpoints.Saved> saved = epochs.latest(jobId, round, stage);
    CheckpointRef lastGood =
        saved.isPresent() ? put(saved.get().checkpoint(), stage, new StageLaps()) : startedFrom;
    String reason =
        (round == 0 ? "float baseline" : "QAT round " + round)
            + " diverged: "
            + e.getMessage()
            + (lastGood == null
                ? ""
                : "; last good checkpoint "
                    + lastGood.shortId()
                    + (saved.isPresent()
                        ? " (after epoch " + saved.get().epochsDone() + ")"
                        : " (the round's start)"));
    LOG.warnf("job %s round %d: %s", jobId, round, reason);
    JobFailed failed =
        new JobFailed(
            QatEvent.newEventId(), jobId, round, lastGood, Instant.now(), reason, null, null);
    progress.report(failed);
    ledger.markDone(jobId, round, stage, new String(codec.encode(failed), StandardCharsets.UTF_8));
    epochs.clear(jobId, round, stage);
  }

  private Checkpoint fetch(CheckpointRef ref, StageLaps laps) {
    // The store verified size and SHA-256 against ref as the chunks arrived: not hashed again.
    byte[] bytes = store.get(ref, fleetConfig.checkpointTimeout());
    laps.lap("fetch");
    Checkpoint checkpoint = checkpointCodec.decode(bytes);
    laps.lap("decode");
    return checkpoint;
  }

  private static void requireFloat(Checkpoint checkpoint, CheckpointRef ref) {
    if (checkpoint.kind() != CheckpointKind.FLOAT) {
      throw new RejectedInputException(
          RejectionReason.WRONG_CHECKPOINT,
          "checkpoint "
              + ref.sha256()
              + " is "
              + checkpoint.kind()
              + "; training starts from a FLOAT checkpoint (baseline or calibrated)");
    }
  }

  /** Whether {@code state} already holds every weight step size of the job's model. */
  private static boolean hasQuantization(JobSpec spec, ModelState state) {
    return LayerShape.of(spec.model()).stream()
        .allMatch(l -> state.has(l.name(ModelGraph.W_SCALE)));
  }

  private CheckpointRef put(Checkpoint checkpoint, String stage, StageLaps laps) {
    EncodedCheckpoint encoded = checkpointCodec.encode(checkpoint);
    laps.lap("encode");
    CheckpointRef ref = store.put(encoded); // under the codec's digest: hashed once
    laps.lap("put");
    metrics.recordCheckpointBytes(stage, ref.bytes());
    return ref;
  }

  private Provenance provenance(
      String jobId, int round, String parent, DatasetDescription dataset) {
    return Provenance.of(
        jobId, round, parent, dataset, BuildInfo.codeVersion(), Instant.now().toString());
  }

  private static void putFinite(Map<String, Double> out, StageResult result) {
    out.put(FloatCheckpointReady.TRAINING_SECONDS, result.seconds());
    if (Double.isFinite(result.cpuSeconds())) {
      out.put(FloatCheckpointReady.CPU_SECONDS, result.cpuSeconds());
    }
    if (result.fit() != null) {
      List<Double> losses = result.fit().epochLosses();
      out.put("epochsRun", (double) losses.size());
      if (losses.size() >= 2) {
        double before = losses.get(losses.size() - 2);
        double change = (losses.get(losses.size() - 1) - before) / before;
        if (Double.isFinite(change)) {
          out.put(FloatCheckpointReady.LAST_EPOCH_LOSS_CHANGE, change);
        }
      }
      if (Double.isFinite(result.fit().finalLoss())) {
        out.put("loss", result.fit().finalLoss());
      }
      if (Double.isFinite(result.fit().samplesPerSecond())) {
        out.put("samplesPerSecond", result.fit().samplesPerSecond());
      }
    }
  }

  private void status(
      String jobId, int round, String stage, double progress, String message, Integer epoch) {
    this.progress.status(jobId, round, stage, progress, message, epoch, null, null);
  }
}
