package io.qatfleet.trainer.service;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.RetrainTriggered;
import io.qatfleet.messaging.stage.StageLedger;
import io.qatfleet.service.ApprovalVerifier;
import io.qatfleet.trainer.TrainerConfig;
import io.qatfleet.trainer.messaging.Channels;
import io.qatfleet.trainer.messaging.EventPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Turns a {@link RetrainTriggered} (from {@code qat.triggers}) into a new job: looks the model up
 * in the {@link ModelRegistry} and publishes {@code JobSubmitted(trigger's jobId, checkpoint =
 * approved calibrated checkpoint, spec = approved spec)} on {@code qat.jobs}. The baseline stage
 * then skips float training and starts round 1 from that checkpoint. The entry must carry the
 * validator's signature ({@link ApprovalVerifier}): an unknown model, an unsigned or forged entry
 * ({@code UNSIGNED_APPROVAL}, {@code BAD_SIGNATURE}, or {@code NO_APPROVAL_KEY} without a public
 * key) is rejected to the dead-letter topic, and no job starts.
 *
 * <p>Idempotent by (trigger jobId, 0, "trigger"): a retried trigger does not start two jobs. A
 * trigger under the id of a job this trainer already knows is rejected ({@code INVALID_FIELD}).
 */
@ApplicationScoped
public class TriggerService {

  private static final Logger LOG = Logger.getLogger(TriggerService.class);
  private static final String STAGE = TrainerMetrics.TRIGGER;
  private static final long REGISTRY_POLL_MILLIS = 100;

  private final ModelRegistry registry;
  private final TrainingService training;
  private final EventPublisher publisher;
  private final StageLedger ledger;
  private final EventCodec codec;
  private final TrainerMetrics metrics;
  private final TrainerConfig config;
  private final ApprovalVerifier verifier;
  private final JobView jobs;

  TriggerService(
      ModelRegistry registry,
      TrainingService training,
      EventPublisher publisher,
      StageLedger ledger,
      EventCodec codec,
      TrainerMetrics metrics,
      TrainerConfig config,
      ApprovalVerifier verifier,
      JobView jobs) {
    this.registry = registry;
    this.training = training;
    this.publisher = publisher;
    this.ledger = ledger;
    this.codec = codec;
    this.metrics = metrics;
    this.config = config;
    this.verifier = verifier;
    this.jobs = jobs;
  }

  public void trigger(RetrainTriggered trigger) throws InterruptedException {
    if (ledger.isDone(trigger.jobId(), 0, STAGE)) {
      LOG.infof("trigger %s already turned into job %s", trigger.eventId(), trigger.jobId());
      metrics.countDuplicate(STAGE);
      return;
    }
    ModelApproved entry =
        awaitEntry(trigger.modelName())
            .orElseThrow(
                () ->
                    new RejectedInputException(
                        RejectionReason.UNKNOWN_MODEL,
                        "model '"
                            + trigger.modelName()
                            + "' has no approved version in the registry (qat.models)"));
    verifier.verify(entry);
    JobSpec spec = entry.spec();
    Optional<JobView.JobSummary> known = jobs.find(trigger.jobId());
    if (known.isPresent()) {
      if (known.get().owner() == null && spec.name().equals(known.get().name())) {
        // This trigger's own job, published before the process died and the ledger knew.
        LOG.infof("trigger %s: job %s is already running", trigger.eventId(), trigger.jobId());
        metrics.countDuplicate(STAGE);
        return;
      }
      // A trigger names a new job: under another job's id it would take that job over.
      throw new RejectedInputException(
          RejectionReason.INVALID_FIELD,
          "jobId '" + trigger.jobId() + "' is already another job; a trigger must name a new one");
    }
    CheckpointRef start = entry.calibratedCheckpoint();
    JobSubmitted job =
        new JobSubmitted(QatEvent.newEventId(), trigger.jobId(), 0, start, Instant.now(), spec);
    publisher.publish(Channels.JOBS_OUT, job);
    ledger.markDone(
        trigger.jobId(), 0, STAGE, new String(codec.encode(job), StandardCharsets.UTF_8));
    LOG.infof(
        "trigger %s (%s) for model %s v%d (signed by key %s): job %s starts from %s",
        trigger.eventId(),
        trigger.reason(),
        entry.modelName(),
        entry.version(),
        entry.keyId(),
        trigger.jobId(),
        start.shortId());
  }

  /** The registry entry, waiting up to {@code qat.registry-wait} for the registry to catch up. */
  private Optional<ModelApproved> awaitEntry(String modelName) throws InterruptedException {
    long deadline = System.nanoTime() + config.registryWait().toNanos();
    Optional<ModelApproved> entry = registry.find(modelName);
    while (entry.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(REGISTRY_POLL_MILLIS);
      entry = registry.find(modelName);
    }
    return entry;
  }
}
