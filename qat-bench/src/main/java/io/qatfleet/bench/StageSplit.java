package io.qatfleet.bench;

import io.qatfleet.cli.fleet.JobSummary;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.event.ValidationCompleted;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An approved job's wall time split by what it was spent on, from its events alone (docs/fleet.md,
 * "Stage times in events"), along the job's critical path: the chain of stages that decided when
 * the approval came (float baseline → QAT round 1 → quantize 1 → validate 1 → retrain → ... →
 * validate of the approving round), found by walking back from {@code ModelApproved} through the
 * events that requested each stage. Each stage on it spans from the event that requested it to the
 * event it published (clipped so that the spans follow one another), and the seconds it reports for
 * its own computation are taken out of that span; {@link #otherSeconds()} is the rest of the wall
 * time, what the fleet itself costs: transport, serialisation, queueing, dataset loading, start-up.
 *
 * <p>Work that runs beside the chain, such as round 0's post-training quantization and validation
 * while QAT round 1 trains (strategy {@code qat}) and the validator's evaluation of the float
 * baseline, is reported in {@link #beside()} and not subtracted: the stages overlap, so a plain sum
 * of every stage's seconds would exceed the wall time. Where it delays the chain (a busy
 * validator), the delay shows as the waiting stage's overhead.
 *
 * @param wallSeconds from the job's first {@code JobSubmitted} or {@code TrainRequested} to its
 *     {@code ModelApproved}
 * @param path the critical path's stages in time order
 * @param beside computation seconds off the critical path, in stage order, keyed like {@link
 *     JobSummary#stageTimes()} ("quantize round 0", ...) plus {@link #FLOAT_EVALUATION}
 * @param notes what the events did not carry: stage times counted as 0 (e.g. "training (seconds),
 *     round 1"), events missing from the chain (the time before them counts as between stages), a
 *     computation longer than its span
 */
public record StageSplit(
    String jobId,
    double wallSeconds,
    List<Stage> path,
    Map<String, Double> beside,
    List<String> notes) {

  /** Where other time is spent, the keys of {@link #otherByPlace}. */
  public static final List<String> PLACES =
      List.of("trainer", "quantizer", "validator", "between stages");

  /**
   * A computation longer than its stage's span by more than this is named in {@link #notes()}
   * (either way it counts as the span): the events' timestamps are milliseconds apart from the
   * stage's own clock readings.
   */
  static final double NOTED_EXCESS_SECONDS = 1e-3;

  /** Key of the float baseline's evaluation (by the validator) in {@link #beside()}. */
  public static final String FLOAT_EVALUATION = "float baseline evaluation";

  /** What a stage computes, and the service whose overhead the rest of its span is. */
  public enum Kind {
    TRAINING("trainer"),
    CALIBRATION("quantizer"),
    VALIDATION("validator");

    final String place;

    Kind(String place) {
      this.place = place;
    }
  }

  /**
   * One stage of the critical path.
   *
   * @param name as in {@link JobSummary#stageTimes()}
   * @param start seconds from the job's start
   * @param end seconds from the job's start, {@code ≥ start}
   * @param computeSeconds the computation the stage reported, at most {@code end - start}
   */
  public record Stage(String name, Kind kind, double start, double end, double computeSeconds) {
    public Stage {
      if (!(start <= end) || !(computeSeconds >= 0) || computeSeconds > end - start + 1e-9) {
        throw new IllegalArgumentException(
            "stage " + name + ": start " + start + ", end " + end + ", compute " + computeSeconds);
      }
    }

    double span() {
      return end - start;
    }
  }

  public StageSplit {
    path = List.copyOf(path);
    beside = Collections.unmodifiableMap(new LinkedHashMap<>(beside));
    notes = List.copyOf(notes);
  }

  /** Float baseline and every QAT round on the critical path. */
  public double trainingSeconds() {
    return computed(Kind.TRAINING);
  }

  /** Calibration and projection of every round on the critical path. */
  public double calibrationSeconds() {
    return computed(Kind.CALIBRATION);
  }

  /** Evaluation of every quantized round on the critical path. */
  public double validationSeconds() {
    return computed(Kind.VALIDATION);
  }

  /** Computation beside the critical path (not subtracted from the wall time). */
  public double besideSeconds() {
    return beside.values().stream().mapToDouble(Double::doubleValue).sum();
  }

  /** QAT rounds on the critical path (0 for a job approved from post-training quantization). */
  public int rounds() {
    return (int)
        path.stream()
            .filter(s -> s.kind() == Kind.TRAINING && !s.name().equals(JobSummary.BASELINE_STAGE))
            .count();
  }

  /** Wall time not spent training, calibrating or validating on the critical path; never < 0. */
  public double otherSeconds() {
    return wallSeconds - trainingSeconds() - calibrationSeconds() - validationSeconds();
  }

  /** {@code seconds} as a percentage of the wall time. */
  public double percentOfWall(double seconds) {
    return wallSeconds > 0 ? 100 * seconds / wallSeconds : Double.NaN;
  }

  /**
   * {@link #otherSeconds()} by where it was spent: in the trainer, quantizer and validator, the
   * span of their stages on the critical path beyond the computation (waiting for the service,
   * loading data, fetching, decoding, encoding and putting checkpoints); between stages, the wall
   * time no stage of the path covers (event delivery, and the time before an event missing from the
   * chain). Keys: {@link #PLACES}; the values add up to {@link #otherSeconds()}.
   */
  public Map<String, Double> otherByPlace() {
    Map<String, Double> out = new LinkedHashMap<>();
    PLACES.forEach(p -> out.put(p, 0.0));
    double covered = 0;
    for (Stage s : path) {
      out.merge(s.kind().place, s.span() - s.computeSeconds(), Double::sum);
      covered += s.span();
    }
    out.put("between stages", wallSeconds - covered);
    return out;
  }

  private double computed(Kind kind) {
    return path.stream().filter(s -> s.kind() == kind).mapToDouble(Stage::computeSeconds).sum();
  }

  /**
   * The split of a job from its events (any order; status updates are ignored). An event repeated
   * for the same round, as after a redelivery, counts once: the earliest, the one that started the
   * next stage.
   *
   * @return empty unless the job was approved
   */
  public static Optional<StageSplit> of(String jobId, List<QatEvent> events) {
    JobEvents e = JobEvents.of(events);
    Instant start = e.start();
    if (start == null || e.approved == null || e.approved.timestamp().isBefore(start)) {
      return Optional.empty();
    }
    double wall = seconds(start, e.approved.timestamp());
    List<String> notes = new ArrayList<>();
    List<Stage> path = new ArrayList<>();
    for (Link link : CriticalPath.walk(e, notes)) {
      double previousEnd = path.isEmpty() ? 0 : path.get(path.size() - 1).end();
      double s = clamp(Math.max(seconds(start, link.from()), previousEnd), wall);
      double end = clamp(Math.max(seconds(start, link.to()), s), wall);
      double compute = link.computeSeconds(notes);
      if (compute > end - s) {
        if (compute - (end - s) > NOTED_EXCESS_SECONDS) {
          notes.add(
              String.format(
                  Locale.ROOT,
                  "%s: computation %.3f s longer than its %.3f s on the path, counted as %.3f s",
                  link.name(),
                  compute,
                  end - s,
                  end - s));
        }
        compute = end - s;
      }
      path.add(new Stage(link.name(), link.kind(), s, end, compute));
    }
    Map<String, Double> beside = new LinkedHashMap<>();
    List<String> onPath = path.stream().map(Stage::name).toList();
    for (Link link : e.allStages()) {
      if (!onPath.contains(link.name())) {
        beside.put(link.name(), link.computeSeconds(notes));
      }
    }
    e.floatEvaluationSeconds().ifPresent(v -> beside.put(FLOAT_EVALUATION, v));
    return Optional.of(
        new StageSplit(jobId, wall, path, beside, notes.stream().distinct().toList()));
  }

  private static double seconds(Instant from, Instant to) {
    return Duration.between(from, to).toNanos() / 1e9;
  }

  private static double clamp(double t, double wall) {
    return Math.min(Math.max(t, 0), wall);
  }

  /**
   * A stage as its events tell it: requested at {@code from} (null where unknown), published at
   * {@code to}, with the metrics that hold its computation seconds.
   */
  record Link(
      String name,
      Kind kind,
      Instant from,
      Instant to,
      int round,
      Map<String, Double> metrics,
      List<String> keys) {
    double computeSeconds(List<String> notes) {
      double total = 0;
      for (String key : keys) {
        Double v = metrics.get(key);
        if (v == null || !(v >= 0) || v.isInfinite()) {
          notes.add(
              kind.name().toLowerCase(Locale.ROOT)
                  + " ("
                  + key
                  + "), round "
                  + round
                  + (v == null ? "" : ": " + v)
                  + ", counted as 0");
        } else {
          total += v;
        }
      }
      return total;
    }
  }

  /** The earliest of each event of a job that the split reads, by round. */
  static final class JobEvents {
    Instant submitted;
    Instant trainRequestedEarliest;
    FloatCheckpointReady baseline;
    ModelApproved approved;
    final Map<Integer, FloatCheckpointReady> trained = new TreeMap<>();
    final Map<Integer, QuantizedModelReady> quantized = new TreeMap<>();
    final Map<Integer, ValidationCompleted> validated = new TreeMap<>();
    final Map<Integer, TrainRequested> trainRequested = new TreeMap<>();
    final Map<Integer, RetrainRequested> retrainRequested = new TreeMap<>();

    static JobEvents of(List<QatEvent> events) {
      JobEvents j = new JobEvents();
      for (QatEvent e : events) {
        if (e instanceof JobSubmitted) {
          j.submitted = earlier(j.submitted, e.timestamp());
        } else if (e instanceof TrainRequested t) {
          j.trainRequestedEarliest = earlier(j.trainRequestedEarliest, e.timestamp());
          keep(j.trainRequested, t.round(), t);
        } else if (e instanceof RetrainRequested r) {
          keep(j.retrainRequested, r.nextRound(), r);
        } else if (e instanceof FloatCheckpointReady f && f.baseline()) {
          j.baseline =
              j.baseline == null || f.timestamp().isBefore(j.baseline.timestamp()) ? f : j.baseline;
        } else if (e instanceof FloatCheckpointReady f) {
          keep(j.trained, f.round(), f);
        } else if (e instanceof QuantizedModelReady q) {
          keep(j.quantized, q.round(), q);
        } else if (e instanceof ValidationCompleted v) {
          keep(j.validated, v.round(), v);
        } else if (e instanceof ModelApproved a) {
          j.approved =
              j.approved == null || a.timestamp().isBefore(j.approved.timestamp()) ? a : j.approved;
        }
      }
      return j;
    }

    Instant start() {
      return submitted == null
          ? trainRequestedEarliest
          : earlier(submitted, trainRequestedEarliest);
    }

    /** Every computing stage the events report, whether on the critical path or not. */
    List<Link> allStages() {
      List<Link> out = new ArrayList<>();
      if (baseline != null) {
        out.add(CriticalPath.baseline(this));
      }
      trained.keySet().forEach(r -> out.add(CriticalPath.qat(this, r, null)));
      quantized.keySet().forEach(r -> out.add(CriticalPath.quantize(this, r, null)));
      validated.keySet().forEach(r -> out.add(CriticalPath.validate(this, r)));
      return out;
    }

    /** The float baseline's evaluation, from the lowest validated round that carries it. */
    Optional<Double> floatEvaluationSeconds() {
      return validated.values().stream()
          .map(v -> v.floatMetrics().get(ValidationCompleted.EVALUATION_SECONDS))
          .filter(v -> v != null && v >= 0 && !v.isInfinite())
          .findFirst();
    }

    private static Instant earlier(Instant a, Instant b) {
      return a == null ? b : b == null || a.isBefore(b) ? a : b;
    }

    private static <E extends QatEvent> void keep(Map<Integer, E> byRound, int round, E e) {
      byRound.merge(round, e, (a, b) -> a.timestamp().compareTo(b.timestamp()) <= 0 ? a : b);
    }
  }
}
