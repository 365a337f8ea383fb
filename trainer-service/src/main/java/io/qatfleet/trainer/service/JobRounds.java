package io.qatfleet.trainer.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.core.job.DataSpec;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.event.ValidationCompleted;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each job's rounds as the web console draws them ({@code GET /jobs/{id}/rounds}), read from the
 * same topics as the {@link JobView} plus {@code qat.train}: per round, the decision events of the
 * round as they were on the wire ({@link #ROUND_EVENTS}: the request that started it, the
 * validator's report with metrics, thresholds and confusion matrices, the send-back with its
 * remedy, the approval or failure), and the training-loss curve from the progress updates that
 * carried a loss. Events are kept as JSON trees, not picked apart, so that fields later versions of
 * the events add (a remedy, per-layer sensitivities) reach the console without a change here.
 *
 * <p>Bounded per job: at most {@value #MAX_ROUNDS} rounds (the newest) and {@value
 * #MAX_LOSS_POINTS} loss points (when full, every second point is dropped, which keeps the curve's
 * shape over the whole run).
 */
@ApplicationScoped
public class JobRounds {

  /** The event types kept per round, by their {@code type} name on the wire. */
  public static final Set<Class<? extends QatEvent>> ROUND_EVENTS =
      Set.of(
          TrainRequested.class,
          ValidationCompleted.class,
          RetrainRequested.class,
          ModelApproved.class,
          JobFailed.class);

  static final int MAX_ROUNDS = 64;
  static final int MAX_LOSS_POINTS = 1000;

  /** One point of a loss curve: a progress update that carried a training loss. */
  public record LossPoint(int round, String stage, Integer epoch, double progress, double loss) {}

  /**
   * What the console shows of a job's rounds.
   *
   * @param dataset the spec's dataset (its directory name, or {@code format:path} of data by
   *     reference), null until the submission has been read
   * @param classNames the dataset's label names, by label (empty while the dataset is unknown)
   * @param rounds per round, its events by type name ({@code ValidationCompleted}, ...) as JSON
   * @param loss the training-loss curve, oldest first
   */
  public record Rounds(
      String jobId,
      String dataset,
      List<String> classNames,
      Map<Integer, Map<String, JsonNode>> rounds,
      List<LossPoint> loss) {}

  private final EventCodec codec;
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();

  JobRounds(EventCodec codec) {
    this.codec = codec;
  }

  /** Applies one event; events of other types are ignored. */
  public void apply(QatEvent event) {
    if (event instanceof JobSubmitted s) {
      Job job = job(s.jobId());
      synchronized (job) {
        DataSpec data = s.spec().data();
        job.dataset = data.source() == null ? data.datasetId().dirName() : data.displayName();
        job.classNames = data.source() == null ? data.datasetId().classNames() : List.of();
      }
    } else if (event instanceof StatusUpdate s && s.loss() != null) {
      Job job = job(s.jobId());
      synchronized (job) {
        job.loss.add(new LossPoint(s.round(), s.stage(), s.epoch(), s.progress(), s.loss()));
        if (job.loss.size() > MAX_LOSS_POINTS) {
          List<LossPoint> kept = new ArrayList<>();
          for (int i = 0; i < job.loss.size(); i += 2) {
            kept.add(job.loss.get(i));
          }
          job.loss = kept;
        }
      }
    } else if (ROUND_EVENTS.contains(event.getClass())) {
      JsonNode tree = codec.toTree(event);
      Job job = job(event.jobId());
      synchronized (job) {
        if (event instanceof ValidationCompleted v && v.classNames() != null) {
          job.classNames = v.classNames(); // a dataset by reference names its classes here
        }
        job.rounds
            .computeIfAbsent(event.round(), r -> new TreeMap<>())
            .put(tree.path("type").asText(event.getClass().getSimpleName()), tree);
        while (job.rounds.size() > MAX_ROUNDS) {
          job.rounds.pollFirstEntry();
        }
      }
    }
  }

  /** The job's rounds, if any event of it has been seen. */
  public Optional<Rounds> find(String jobId) {
    Job job = jobs.get(jobId);
    if (job == null) {
      return Optional.empty();
    }
    synchronized (job) {
      Map<Integer, Map<String, JsonNode>> rounds = new LinkedHashMap<>();
      job.rounds.forEach((r, events) -> rounds.put(r, Map.copyOf(events)));
      return Optional.of(
          new Rounds(
              jobId,
              job.dataset,
              job.classNames,
              Collections.unmodifiableMap(rounds),
              List.copyOf(job.loss)));
    }
  }

  private Job job(String jobId) {
    return jobs.computeIfAbsent(jobId, id -> new Job());
  }

  private static final class Job {
    final TreeMap<Integer, Map<String, JsonNode>> rounds = new TreeMap<>();
    List<LossPoint> loss = new ArrayList<>();
    String dataset;
    List<String> classNames = List.of();
  }
}
