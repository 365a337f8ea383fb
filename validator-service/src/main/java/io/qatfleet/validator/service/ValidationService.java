package io.qatfleet.validator.service;

import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.CheckpointException;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.pipeline.CpuTime;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.Decision;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.ThresholdResult;
import io.qatfleet.messaging.event.ValidationCompleted;
import io.qatfleet.messaging.stage.StageLedger;
import io.qatfleet.service.FleetConfig;
import io.qatfleet.validator.ValidatorConfig;
import io.qatfleet.validator.messaging.EventPublisher;
import io.qatfleet.validator.messaging.ModelRegistry;
import io.qatfleet.validator.service.DecisionPolicy.Bar;
import io.qatfleet.validator.service.JobRecords.Baseline;
import io.qatfleet.validator.service.ModelEvaluator.FloatEvaluation;
import io.qatfleet.validator.service.ModelEvaluator.QuantizedEvaluation;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * The validator's stage (docs/fleet.md step 5). Consumes the events of {@code qat.validate}:
 *
 * <ul>
 *   <li>a baseline {@link FloatCheckpointReady}: evaluates the float model on the job's test split
 *       once per job and keeps its metrics in the stage ledger, so that a restarted validator still
 *       has them;
 *   <li>a {@link QuantizedModelReady} of round r: runs the round's ONNX model in ONNX Runtime on
 *       the test split (its metrics are the round's), the integer model (integer engine, the
 *       reference) and the calibrated float model (fake-quant graph) on the reference samples
 *       ({@code qat.validation.reference-samples}; an event without an ONNX model: the integer
 *       engine on the whole split, as before the export), checks every threshold of the job spec
 *       (or of the default bar, when the spec names none) against the baseline, publishes {@link
 *       ValidationCompleted}, then {@link ModelApproved}, signed, on {@code qat.deploy} and {@code
 *       qat.models} (pass), {@link RetrainRequested} on {@code qat.train} (fail, rounds left) or
 *       {@link JobFailed} with the best round (fail, none left).
 * </ul>
 *
 * <p>Idempotent by (jobId, round, stage): the ledger entry is written after every outcome was
 * acknowledged by the broker, and an event whose entry exists is skipped and counted as a
 * duplicate. Input it cannot act on raises {@link RejectedInputException} or the checkpoint store's
 * {@code CheckpointTransportException}, which the listener turns into a dead letter.
 */
@ApplicationScoped
public class ValidationService {

  private static final Logger LOG = Logger.getLogger(ValidationService.class);

  /** Size of the round's ONNX file, among the quantized metrics. */
  public static final String ONNX_MODEL_BYTES = "onnxModelBytes";

  private final ValidatorConfig config;
  private final FleetConfig fleetConfig;
  private final CheckpointStore store;
  private final EventPublisher publisher;
  private final ModelRegistry registry;
  private final ValidatorMetrics metrics;
  private final JobRecords records;
  private final ModelEvaluator evaluator;
  private final DecisionPolicy policy;
  private final RemedyPolicy remedies;
  private final ApprovalSigner signer;
  private final CheckpointCodec codec = new CheckpointCodec();

  public ValidationService(
      ValidatorConfig config,
      CheckpointStore store,
      EventPublisher publisher,
      ModelRegistry registry,
      ValidatorMetrics metrics,
      FleetConfig fleetConfig,
      StageLedger ledger,
      ApprovalSigner signer) {
    this.config = config;
    this.fleetConfig = fleetConfig;
    this.store = store;
    this.publisher = publisher;
    this.registry = registry;
    this.metrics = metrics;
    this.records = new JobRecords(ledger);
    this.evaluator = new ModelEvaluator(DatasetLoader.fromEnvironment());
    this.signer = signer;
    this.policy = new DecisionPolicy(DecisionPolicy.parseBar(config.defaultThresholds()));
    this.remedies = new RemedyPolicy(config.retrainEpochGrowth(), config.retrainMaxEpochs());
  }

  /** Evaluates and records the float baseline of a job, once. */
  public void baseline(FloatCheckpointReady event) {
    if (!event.baseline()) {
      throw new RejectedInputException(
          RejectionReason.UNEXPECTED_EVENT,
          "FloatCheckpointReady of round "
              + event.round()
              + " is not a baseline; QAT checkpoints go to the quantizer on qat.quantize");
    }
    JobSpec spec = requireValid(event.spec());
    String jobId = event.jobId();
    if (records.hasBaseline(jobId)) {
      skipDuplicate(event, JobRecords.BASELINE);
      return;
    }
    long t0 = System.nanoTime();
    Checkpoint checkpoint = fetch(event.checkpoint(), "baseline checkpoint");
    FloatEvaluation evaluation = evaluator.evaluateFloat(spec, checkpoint);
    Map<String, Double> floatMetrics = new LinkedHashMap<>(evaluation.metrics());
    floatMetrics.put(ValidationCompleted.EVALUATION_SECONDS, evaluation.seconds());
    publisher.status(
        jobId,
        event.round(),
        "baseline-validation",
        1.0,
        String.format(
            Locale.ROOT,
            "float baseline: accuracy %.4f, macro F1 %.4f on %.0f test images",
            floatMetrics.get(ModelEvaluator.ACCURACY),
            floatMetrics.get(ModelEvaluator.MACRO_F1),
            floatMetrics.get(ModelEvaluator.TEST_SAMPLES)));
    records.saveBaseline(
        jobId, new Baseline(floatMetrics, event.checkpoint(), evaluation.confusion()));
    metrics.duration("baseline", Duration.ofNanos(System.nanoTime() - t0));
    LOG.infof(
        "job %s: float baseline accuracy %.4f", jobId, floatMetrics.get(ModelEvaluator.ACCURACY));
  }

  /** Validates a quantized round of a job and publishes the decision, once per (job, round). */
  public void quantized(QuantizedModelReady event, EventPublisher.Input input) {
    JobSpec spec = requireValid(event.spec());
    String jobId = event.jobId();
    int round = event.round();
    if (records.isValidated(jobId, round) || registry.isLatestApproval(spec.name(), jobId, round)) {
      skipDuplicate(event, JobRecords.VALIDATION);
      return;
    }
    Baseline baseline =
        records
            .baseline(jobId)
            .orElseThrow(
                () ->
                    new RejectedInputException(
                        RejectionReason.MISSING_BASELINE,
                        "no evaluated float baseline for job "
                            + jobId
                            + ": its baseline FloatCheckpointReady must precede round "
                            + round
                            + " on qat.validate"));
    long t0 = System.nanoTime();
    double cpu0 = CpuTime.processSeconds();
    // Round 0 is post-training quantization: judged first under ptq_first, else reported only.
    boolean reportOnly = round == 0 && !spec.ptqFirst();
    publisher.status(
        jobId,
        round,
        "validation",
        0.0,
        round == 0
            ? "validating post-training quantization (round 0)"
            : "validating round " + round);
    Checkpoint integer = fetch(event.checkpoint(), "quantized checkpoint");
    Checkpoint calibrated = fetch(event.calibratedCheckpoint(), "calibrated checkpoint");
    byte[] onnx =
        event.onnxModel() == null
            ? null
            : store.get(event.onnxModel(), fleetConfig.checkpointTimeout());
    QuantizedEvaluation evaluation =
        evaluator.evaluateQuantized(
            spec,
            integer,
            calibrated,
            onnx,
            config.referenceSamples(),
            config.onnxThreads(),
            config.sensitivitySamples());
    // Sizes are those of the files: the integer checkpoint (levels packed), its ONNX export, and
    // the float baseline checkpoint.
    Map<String, Double> roundMetrics = new LinkedHashMap<>(evaluation.metrics());
    roundMetrics.put(ModelEvaluator.MODEL_BYTES, (double) event.checkpoint().bytes());
    if (event.onnxModel() != null) {
      roundMetrics.put(ONNX_MODEL_BYTES, (double) event.onnxModel().bytes());
    }

    Bar bar = policy.barFor(spec);
    List<ThresholdResult> results =
        DecisionPolicy.check(bar.thresholds(), baseline.metrics(), roundMetrics);
    Decision decision = DecisionPolicy.decide(results, round, spec.maxRounds());
    Map<String, Double> floatMetrics = new TreeMap<>(baseline.metrics());
    floatMetrics.put(ModelEvaluator.MODEL_BYTES, (double) baseline.checkpoint().bytes());
    // The round's evaluation time goes into its report only, not into the registry's metrics.
    Map<String, Double> quantizedMetrics = new LinkedHashMap<>(roundMetrics);
    quantizedMetrics.put(ValidationCompleted.EVALUATION_SECONDS, evaluation.seconds());
    putCpuSeconds(quantizedMetrics, event, CpuTime.since(cpu0));
    // A baseline recorded before confusion matrices were kept has none; the quantized model's
    // shape stands in with zero counts rather than failing a job that is under way.
    List<List<Integer>> floatConfusion =
        baseline.confusion().isEmpty()
            ? zeros(evaluation.confusion().size())
            : baseline.confusion();
    ValidationCompleted report =
        new ValidationCompleted(
            QatEvent.newEventId(),
            jobId,
            round,
            event.checkpoint(),
            publisher.clock().instant(),
            floatMetrics,
            quantizedMetrics,
            results,
            evaluation.agreement(),
            decision,
            floatConfusion,
            evaluation.confusion(),
            bar.source(),
            evaluation.sensitivity(),
            evaluation.classNames());
    RoundResult result =
        new RoundResult(
            round,
            decision,
            roundMetrics,
            evaluation.agreement(),
            event.checkpoint(),
            event.calibratedCheckpoint());
    AtomicReference<ModelApproved> approved = new AtomicReference<>();
    publisher.decide(
        spec.name(),
        input,
        outbox -> {
          outbox.report(report);
          if (reportOnly) {
            return;
          }
          switch (decision) {
            case PASS -> {
              approved.set(approval(event, spec, roundMetrics, evaluation.agreement(), bar));
              outbox.approved(approved.get());
            }
            case RETRAIN ->
                outbox.retrain(retrain(event, spec, results, baseline.checkpoint(), report));
            case REJECT -> outbox.jobFailed(failure(event, results, result));
          }
        });
    if (approved.get() != null) {
      registry.registered(approved.get());
    }
    records.saveRound(jobId, result);

    if (!reportOnly) {
      metrics.decision(decision);
    }
    metrics.accuracyDrop(
        baseline.metrics().get(ModelEvaluator.ACCURACY),
        evaluation.metrics().get(ModelEvaluator.ACCURACY));
    metrics.agreement(evaluation.agreement());
    metrics.duration("quantized", Duration.ofNanos(System.nanoTime() - t0));
    if (evaluation.agreement() < config.agreementWarning()) {
      LOG.warnf(
          "job %s round %d: integer inference agrees with fake-quant on only %.4f of test samples",
          jobId, round, evaluation.agreement());
    }
    LOG.infof(
        "job %s round %d: %s (accuracy %.4f%s vs float %.4f, agreement %.4f%s)",
        jobId,
        round,
        ValidatorMetrics.outcome(decision),
        roundMetrics.get(ModelEvaluator.ACCURACY),
        onnx == null ? " (integer engine)" : " (ONNX Runtime)",
        baseline.metrics().get(ModelEvaluator.ACCURACY),
        evaluation.agreement(),
        onnx == null
            ? ""
            : String.format(
                Locale.ROOT,
                ", ONNX Runtime vs integer engine %.4f on %.0f images",
                roundMetrics.get(ModelEvaluator.ONNX_AGREEMENT),
                roundMetrics.get(ModelEvaluator.REFERENCE_SAMPLES)));
  }

  /**
   * The signed approval of the round, with the next version of its model: read from the registry
   * inside the decision's transaction, so that a concurrent approval of the same model, which
   * fences this one, is counted when the decision runs again.
   */
  private ModelApproved approval(
      QuantizedModelReady event,
      JobSpec spec,
      Map<String, Double> roundMetrics,
      double agreement,
      Bar bar) {
    int version = registry.versionFor(spec.name(), event.jobId(), event.round());
    Map<String, Double> approvedMetrics = new TreeMap<>(roundMetrics);
    approvedMetrics.put("agreement", agreement);
    return signer.sign(
        new ModelApproved(
            QatEvent.newEventId(),
            event.jobId(),
            event.round(),
            event.checkpoint(),
            publisher.clock().instant(),
            spec.name(),
            version,
            approvedMetrics,
            spec,
            event.calibratedCheckpoint(),
            bar.thresholds(),
            bar.source(),
            null,
            null,
            event.onnxModel()));
  }

  /**
   * The send-back of a failed round with its remedy ({@link RemedyPolicy}): the next round's
   * epochs, learning rate, distillation from {@code baseline} and weight bits raised for the layers
   * {@code report}'s per-layer sensitivity names most sensitive, each with its reason.
   */
  private RetrainRequested retrain(
      QuantizedModelReady event,
      JobSpec spec,
      List<ThresholdResult> results,
      CheckpointRef baseline,
      ValidationCompleted report) {
    int roundEpochs = event.round() == 0 ? 0 : spec.training().qatEpochs();
    // Bits are raised only within an allowance the spec states (quantization.maxBits), by the
    // accuracy each layer lost quantized alone (none measured: the bits step does nothing).
    Map<Integer, Double> sensitivities = new TreeMap<>();
    report.sensitivityByLayer().forEach((layer, s) -> sensitivities.put(layer, s.accuracyDrop()));
    RemedyPolicy.Plan plan =
        remedies.plan(
            spec,
            roundEpochs,
            results,
            event.calibrationMetrics(),
            baseline,
            sensitivities,
            spec.quantization().maxBits());
    return new RetrainRequested(
        QatEvent.newEventId(),
        event.jobId(),
        event.round(),
        event.calibratedCheckpoint(),
        publisher.clock().instant(),
        spec,
        "round " + event.round() + " failed: " + DecisionPolicy.reason(results),
        event.round() + 1,
        plan.epochs(),
        plan.learningRate(),
        plan.remedy());
  }

  /**
   * The CPU-seconds of each stage of the round: training (none for round 0, whose float baseline
   * every round shares) and quantizing as their events carry them, and this evaluation.
   */
  private static void putCpuSeconds(
      Map<String, Double> out, QuantizedModelReady event, double evaluationCpuSeconds) {
    Map<String, Double> stage = event.calibrationMetrics();
    Double training =
        event.round() == 0
            ? Double.valueOf(0)
            : stage.get(QuantizedModelReady.TRAINING_PREFIX + FloatCheckpointReady.CPU_SECONDS);
    if (training != null) {
      out.put(ValidationCompleted.TRAINING_CPU_SECONDS, training);
    }
    Double quantization = stage.get(QuantizedModelReady.CPU_SECONDS);
    if (quantization != null) {
      out.put(ValidationCompleted.QUANTIZATION_CPU_SECONDS, quantization);
    }
    if (Double.isFinite(evaluationCpuSeconds)) {
      out.put(ValidationCompleted.EVALUATION_CPU_SECONDS, evaluationCpuSeconds);
    }
  }

  private JobFailed failure(
      QuantizedModelReady event, List<ThresholdResult> results, RoundResult now) {
    List<RoundResult> rounds = new ArrayList<>(records.rounds(event.jobId(), event.round() - 1));
    rounds.add(now);
    Optional<RoundResult> best = DecisionPolicy.best(rounds);
    return new JobFailed(
        QatEvent.newEventId(),
        event.jobId(),
        event.round(),
        event.checkpoint(),
        publisher.clock().instant(),
        "no rounds left after round "
            + event.round()
            + " of "
            + event.spec().maxRounds()
            + ": "
            + DecisionPolicy.reason(results),
        best.map(RoundResult::round).orElse(null),
        best.map(RoundResult::checkpoint).orElse(null));
  }

  private Checkpoint fetch(CheckpointRef ref, String what) {
    byte[] bytes = store.get(ref, fleetConfig.checkpointTimeout());
    try {
      // The store verified size and SHA-256 against ref as the chunks arrived: not hashed again.
      return codec.decode(bytes);
    } catch (CheckpointException e) {
      throw new RejectedInputException(
          RejectionReason.CORRUPT_CHECKPOINT,
          what + " " + ref.shortId() + " cannot be read: " + e.getMessage(),
          e);
    }
  }

  private static List<List<Integer>> zeros(int classes) {
    return Collections.nCopies(classes, Collections.nCopies(classes, 0));
  }

  private static JobSpec requireValid(JobSpec spec) {
    List<String> violations = spec.violations();
    if (!violations.isEmpty()) {
      throw new RejectedInputException(
          RejectionReason.INVALID_SPEC, "spec is invalid: " + String.join("; ", violations));
    }
    return spec;
  }

  private void skipDuplicate(QatEvent event, String stage) {
    metrics.duplicate();
    LOG.infof(
        "job %s round %d: %s already done, skipping %s %s",
        event.jobId(), event.round(), stage, event.getClass().getSimpleName(), event.eventId());
  }
}
