package io.qatfleet.trainer.service;

import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.event.JobCancelled;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.ThresholdSource;
import io.qatfleet.messaging.event.ValidationCompleted;
import io.qatfleet.service.ApprovalVerifier;
import io.qatfleet.trainer.TrainerConfig;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import io.smallrye.mutiny.operators.multi.processors.SerializedProcessor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The state of every job as this instance has seen it, built from {@code qat.jobs} (JobSubmitted:
 * name and owner), {@code qat.status} (StatusUpdate, ValidationCompleted, JobFailed) and {@code
 * qat.deploy} (ModelApproved), all read from their start, plus the jobs submitted through this
 * instance's API. It answers {@code GET /jobs}; who may see which job is the API's business.
 * Redelivered events (same event id) are applied once; history is capped per job.
 *
 * <p>Bounded: it keeps every job that has not ended and the {@code qat.job-view-ended-jobs} that
 * ended last (approved, failed or cancelled); older ended jobs are dropped, and their ids
 * remembered (as many again) so that a late event of a dropped job (a submission read after its
 * outcome, when the view rebuilds from the topics after a restart) does not bring it back as a job
 * that never ends. {@code GET /jobs/{id}} of a dropped job answers 404.
 *
 * <p>An approval counts only when its signature verifies ({@link ApprovalVerifier}): then the job
 * is {@code approved} with its version. An unsigned or forged one is shown ({@link
 * JobSummary#approval()} with {@code verified=false} and the reason, a history entry) but the job
 * is not approved: stage {@code approval-refused}, no approved version, and it never replaces a
 * verified approval. The view also says which bar the latest round was judged by.
 *
 * <p>Every change is also broadcast as the job's new summary ({@link #changes()}), which the web
 * console's event stream ({@code GET /jobs/updates}) forwards.
 */
@ApplicationScoped
public class JobView {

  /** One event in a job's history. */
  public record HistoryEntry(
      Instant timestamp, String type, int round, String stage, String message) {}

  /**
   * What {@code GET /jobs/{id}} shows.
   *
   * @param owner who submitted the job ({@code JobSubmitted.owner}); null for a job the fleet
   *     started (a retraining trigger), for one submitted before jobs had owners, and while the
   *     submission has not been read yet
   * @param sensitivity the latest validated round's per-layer sensitivity (entry {@code i} for
   *     layer {@code i}, with the bits the layer had); empty when none was measured
   */
  public record JobSummary(
      String jobId,
      String name,
      String owner,
      String stage,
      int round,
      StatusUpdate progress,
      Map<String, Double> floatMetrics,
      Map<Integer, Map<String, Double>> roundMetrics,
      String decision,
      Integer approvedVersion,
      Instant updated,
      List<HistoryEntry> history,
      Bar bar,
      Approval approval,
      List<LayerSensitivity> sensitivity) {}

  /**
   * The thresholds the latest validated round was judged by, and where they came from ({@code null}
   * source: a report written before it was recorded).
   */
  public record Bar(ThresholdSource source, Map<String, MetricThreshold> thresholds) {}

  /**
   * The latest approval seen for the job: the model version it names, the key id it claims, and
   * whether its signature verified (else {@code problem} says why not).
   */
  public record Approval(
      String modelName, int version, String keyId, boolean verified, String problem) {}

  /** Stage of a job someone cancelled, until the trainer ends it with JobFailed. */
  public static final String CANCELLED = "cancelled";

  /** Stage of a job whose approval did not verify. */
  public static final String APPROVAL_REFUSED = "approval-refused";

  private final int historyLimit;
  private final int maxEnded;
  private final ApprovalVerifier verifier;
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();

  /** Serialized: the view's consumers and the API apply events on threads of their own. */
  private final SerializedProcessor<JobSummary, JobSummary> changes =
      BroadcastProcessor.<JobSummary>create().serialized();

  private final Multi<JobSummary> changeStream = Multi.createFrom().publisher(changes);

  /** Ids of the ended jobs kept, in the order they ended; guarded by itself. */
  private final Set<String> ended = new LinkedHashSet<>();

  /** Ids of the ended jobs dropped, at most {@code maxEnded}, oldest first; guarded by ended. */
  private final Set<String> dropped = new LinkedHashSet<>();

  @Inject
  JobView(TrainerConfig config, ApprovalVerifier verifier) {
    this(config.jobHistoryLimit(), config.jobViewEndedJobs(), verifier);
  }

  JobView(int historyLimit, int maxEnded, ApprovalVerifier verifier) {
    if (maxEnded < 1) {
      throw new IllegalArgumentException(
          "qat.job-view-ended-jobs: must be at least 1, got " + maxEnded);
    }
    this.historyLimit = historyLimit;
    this.maxEnded = maxEnded;
    this.verifier = verifier;
  }

  /**
   * Applies one event of {@code qat.jobs}, {@code qat.status} or {@code qat.deploy}, or a job
   * accepted by this instance's {@code POST /jobs} before the topic brings it back; others are
   * ignored.
   */
  public void apply(QatEvent event) {
    String jobId = event.jobId();
    synchronized (ended) {
      if (dropped.contains(jobId)) {
        return;
      }
    }
    Job job = job(jobId);
    boolean changed;
    boolean hasEnded;
    synchronized (job) {
      changed = applyTo(job, event);
      hasEnded = job.hasEnded();
    }
    if (changed) {
      changes.onNext(job.summary(jobId));
    }
    if (hasEnded) {
      retire(jobId);
    }
  }

  /**
   * The summary of every job after each change, from the moment of subscription on (no replay):
   * subscribe, then read {@link #all()}, to miss nothing.
   */
  public Multi<JobSummary> changes() {
    return changeStream;
  }

  /**
   * Counts {@code jobId} among the ended jobs and drops the longest-ended ones beyond {@code
   * maxEnded}.
   */
  private void retire(String jobId) {
    synchronized (ended) {
      if (!ended.add(jobId)) {
        return;
      }
      Iterator<String> oldest = ended.iterator();
      while (ended.size() > maxEnded) {
        String gone = oldest.next();
        oldest.remove();
        jobs.remove(gone);
        dropped.add(gone);
        if (dropped.size() > maxEnded) {
          Iterator<String> first = dropped.iterator();
          first.next();
          first.remove();
        }
      }
    }
  }

  /** Whether {@code event} was new to {@code job}. */
  private boolean applyTo(Job job, QatEvent event) {
    if (!job.seen.add(event.eventId())) {
      return false;
    }
    if (event instanceof JobSubmitted s) {
      if (job.name != null) {
        // A second submission under a known id (nothing in the fleet mints one): the first one's
        // name and owner stay, so that nobody takes over a job, or hides it from its owner.
        return false;
      }
      // Read from qat.jobs, a submission may arrive after the job's first status events.
      job.name = s.spec().name();
      job.owner = s.owner();
      if (job.stage == null) {
        job.stage = "submitted";
      }
      if (job.updated == null || s.timestamp().isAfter(job.updated)) {
        job.updated = s.timestamp();
      }
      job.add(
          new HistoryEntry(s.timestamp(), "Submitted", 0, "submitted", "job " + job.name),
          historyLimit);
      return true;
    }
    job.updated = event.timestamp();
    if (event instanceof StatusUpdate s) {
      job.setStage(s.stage());
      job.round = Math.max(job.round, s.round());
      job.progress = s;
      job.add(
          new HistoryEntry(s.timestamp(), "StatusUpdate", s.round(), s.stage(), s.message()),
          historyLimit);
    } else if (event instanceof ValidationCompleted v) {
      // Round 0's report (post-training quantization) read after a QAT round began does not set
      // the job back to it.
      if (v.round() >= job.round) {
        job.setStage("validated");
        job.decision = v.decision().name().toLowerCase(java.util.Locale.ROOT);
      }
      job.round = Math.max(job.round, v.round());
      job.floatMetrics = v.floatMetrics();
      job.roundMetrics.put(v.round(), v.quantizedMetrics());
      Map<String, MetricThreshold> thresholds = new TreeMap<>();
      v.thresholdResults().forEach(r -> thresholds.put(r.metric(), r.threshold()));
      job.bar = new Bar(v.thresholdSource(), Collections.unmodifiableMap(thresholds));
      job.sensitivity = v.sensitivity() == null ? List.of() : v.sensitivity();
      job.add(
          new HistoryEntry(
              v.timestamp(),
              "ValidationCompleted",
              v.round(),
              "validation",
              "decision "
                  + job.decision
                  + (v.thresholdSource() == ThresholdSource.DEFAULT ? " (default bar)" : "")
                  + ", quantized "
                  + v.quantizedMetrics()),
          historyLimit);
    } else if (event instanceof ModelApproved a) {
      approval(job, a);
    } else if (event instanceof JobCancelled c) {
      job.stage = CANCELLED;
      job.add(
          new HistoryEntry(
              c.timestamp(),
              "JobCancelled",
              job.round,
              CANCELLED,
              "cancelled by " + c.cancelledBy() + ": " + c.reason()),
          historyLimit);
    } else if (event instanceof JobFailed f) {
      job.setStage("failed");
      job.decision = "reject";
      job.add(
          new HistoryEntry(f.timestamp(), "JobFailed", f.round(), "failed", f.reason()),
          historyLimit);
    }
    return true;
  }

  private void approval(Job job, ModelApproved a) {
    String problem = null;
    try {
      verifier.verify(a);
    } catch (RejectedInputException e) {
      problem = e.reason() + ": " + e.getMessage();
    }
    String name = a.modelName() + " v" + a.version();
    if (problem == null) {
      job.approval = new Approval(a.modelName(), a.version(), a.keyId(), true, null);
      job.stage = "approved";
      job.decision = "pass";
      job.approvedVersion = a.version();
      job.roundMetrics.put(a.round(), a.metrics());
      job.add(
          new HistoryEntry(
              a.timestamp(),
              "ModelApproved",
              a.round(),
              "approved",
              name + ", signed by key " + a.keyId()),
          historyLimit);
      return;
    }
    if (job.approval == null || !job.approval.verified()) {
      job.approval = new Approval(a.modelName(), a.version(), a.keyId(), false, problem);
      job.stage = APPROVAL_REFUSED;
    }
    job.add(
        new HistoryEntry(
            a.timestamp(),
            "ModelApproved",
            a.round(),
            APPROVAL_REFUSED,
            name + " not accepted: " + problem),
        historyLimit);
  }

  public Optional<JobSummary> find(String jobId) {
    Job job = jobs.get(jobId);
    return job == null ? Optional.empty() : Optional.of(job.summary(jobId));
  }

  /** Every known job, most recently updated first. */
  public List<JobSummary> all() {
    List<JobSummary> out = new ArrayList<>();
    jobs.forEach((id, job) -> out.add(job.summary(id)));
    out.sort(
        Comparator.comparing(
                JobSummary::updated, Comparator.nullsLast(Comparator.<Instant>naturalOrder()))
            .reversed());
    return out;
  }

  /** The ids of the jobs that have not ended (approved, failed or cancelled). */
  public List<String> unfinishedJobIds() {
    List<String> out = new ArrayList<>();
    jobs.forEach(
        (id, job) -> {
          synchronized (job) {
            if (!ENDED.contains(job.stage) && !APPROVAL_REFUSED.equals(job.stage)) {
              out.add(id);
            }
          }
        });
    return out;
  }

  private Job job(String jobId) {
    return jobs.computeIfAbsent(jobId, id -> new Job());
  }

  /** Stages a job does not leave (an approval's own stage is set by {@code approval}). */
  private static final Set<String> ENDED = Set.of("approved", "failed", CANCELLED);

  private static final class Job {
    final Set<String> seen = new HashSet<>();
    final List<HistoryEntry> history = new ArrayList<>();
    final Map<Integer, Map<String, Double>> roundMetrics = new TreeMap<>();
    String name;
    String owner;
    String stage;
    int round;
    StatusUpdate progress;
    Map<String, Double> floatMetrics = Map.of();
    String decision;
    Integer approvedVersion;
    Instant updated;
    Bar bar;
    Approval approval;
    List<LayerSensitivity> sensitivity = List.of();

    /**
     * Moves the job to {@code next} unless it has ended: the view reads {@code qat.jobs}, {@code
     * qat.status} and {@code qat.deploy} on separate consumers, so after a restart a job's approval
     * can be applied before the progress that preceded it, and must not be undone by it.
     */
    void setStage(String next) {
      if (!hasEnded()) {
        stage = next;
      }
    }

    /** Whether the job is approved, failed or cancelled (a null stage: nothing read yet). */
    boolean hasEnded() {
      return stage != null && ENDED.contains(stage);
    }

    void add(HistoryEntry entry, int limit) {
      history.add(entry);
      if (history.size() > limit) {
        history.remove(0);
      }
    }

    synchronized JobSummary summary(String id) {
      return new JobSummary(
          id,
          name,
          owner,
          stage,
          round,
          progress,
          floatMetrics,
          Collections.unmodifiableMap(new LinkedHashMap<>(roundMetrics)),
          decision,
          approvedVersion,
          updated,
          List.copyOf(history),
          bar,
          approval,
          sensitivity);
    }
  }
}
