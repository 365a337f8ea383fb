package io.qatfleet.bench;

import io.qatfleet.cli.fleet.JobSummary;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.event.ValidationCompleted;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An approved job's wall time split by what it was spent on, from its events alone (docs/fleet.md,
 * "Stage times in events"): the seconds each stage reports for its own computation, and the rest.
 * {@link JobSummary} times each stage from the event that requested it to the event it published
 * (computation plus fetching, loading and waiting); this takes the computation out, so that {@link
 * #otherSeconds()} is what the fleet itself costs: transport, serialisation, queueing, dataset
 * loading, start-up.
 *
 * @param wallSeconds from the job's first {@code JobSubmitted} or {@code TrainRequested} to its
 *     {@code ModelApproved}
 * @param training seconds of training of the baseline and of each QAT round, keyed like {@link
 *     JobSummary#stageTimes()} ("baseline", "qat round 1", ...)
 * @param calibration seconds of calibration plus projection of each round ("quantize round 1", ...)
 * @param validation seconds of evaluation of each round ("validate round 1", ...)
 * @param baselineEvaluationSeconds evaluation of the float baseline, which runs beside QAT round 1
 *     and is therefore not subtracted from the wall time
 * @param missing stage times the events did not carry (counted as 0), e.g. "training (seconds),
 *     round 1"
 */
public record StageSplit(
    String jobId,
    double wallSeconds,
    Map<String, Double> training,
    Map<String, Double> calibration,
    Map<String, Double> validation,
    double baselineEvaluationSeconds,
    List<String> missing) {

  /** Where other time is spent, the keys of {@link #otherByPlace}. */
  public static final List<String> PLACES =
      List.of("trainer", "quantizer", "validator", "between stages");

  public StageSplit {
    training = Map.copyOf(training);
    calibration = Map.copyOf(calibration);
    validation = Map.copyOf(validation);
    missing = List.copyOf(missing);
  }

  /** Float baseline and every QAT round. */
  public double trainingSeconds() {
    return sum(training);
  }

  /** Calibration and projection of every round. */
  public double calibrationSeconds() {
    return sum(calibration);
  }

  /** Evaluation of every round's quantized model. */
  public double validationSeconds() {
    return sum(validation);
  }

  /** QAT rounds validated. */
  public int rounds() {
    return validation.size();
  }

  /** Wall time not spent training, calibrating or validating. */
  public double otherSeconds() {
    return wallSeconds - trainingSeconds() - calibrationSeconds() - validationSeconds();
  }

  /** {@code seconds} as a percentage of the wall time. */
  public double percentOfWall(double seconds) {
    return wallSeconds > 0 ? 100 * seconds / wallSeconds : Double.NaN;
  }

  /**
   * {@link #otherSeconds()} by where it was spent, given each stage's event-to-event time ({@link
   * JobSummary#stageTimes()}): in the trainer, quantizer and validator, a stage's time beyond its
   * computation (waiting for the service, loading data, fetching, decoding, encoding and putting
   * checkpoints); between stages, the wall time no stage covers (event delivery). Keys: {@link
   * #PLACES}.
   */
  public Map<String, Double> otherByPlace(Map<String, Duration> stageTimes) {
    Map<String, Double> out = new LinkedHashMap<>();
    PLACES.forEach(p -> out.put(p, 0.0));
    double staged = 0;
    for (Map.Entry<String, Duration> e : stageTimes.entrySet()) {
      String stage = e.getKey();
      double seconds = e.getValue().toNanos() / 1e9;
      staged += seconds;
      if (training.containsKey(stage)) {
        out.merge("trainer", seconds - training.get(stage), Double::sum);
      } else if (calibration.containsKey(stage)) {
        out.merge("quantizer", seconds - calibration.get(stage), Double::sum);
      } else if (validation.containsKey(stage)) {
        out.merge("validator", seconds - validation.get(stage), Double::sum);
      } else {
        // a stage whose computation no event reported: all of it is overhead, between stages
        staged -= seconds;
      }
    }
    out.put("between stages", wallSeconds - staged);
    return out;
  }

  /**
   * The split of a job from its events (any order; status updates are ignored). An event repeated
   * for the same round, as after a redelivery, counts once (the later one).
   *
   * @return empty unless the job was approved
   */
  public static Optional<StageSplit> of(String jobId, List<QatEvent> events) {
    Instant start = null;
    Instant approved = null;
    Map<String, Double> training = new TreeMap<>();
    Map<String, Double> calibration = new TreeMap<>();
    Map<String, Double> validation = new TreeMap<>();
    double baselineEvaluation = 0;
    List<String> missing = new ArrayList<>();
    for (QatEvent e : events) {
      if (e instanceof JobSubmitted || e instanceof TrainRequested) {
        start = start == null || e.timestamp().isBefore(start) ? e.timestamp() : start;
      } else if (e instanceof FloatCheckpointReady f) {
        training.put(
            f.baseline() ? JobSummary.BASELINE_STAGE : JobSummary.qatStage(f.round()),
            seconds(
                f.trainingMetrics(),
                "training",
                f.round(),
                missing,
                FloatCheckpointReady.TRAINING_SECONDS));
      } else if (e instanceof QuantizedModelReady q) {
        calibration.put(
            JobSummary.quantizeStage(q.round()),
            seconds(
                q.calibrationMetrics(),
                "calibration",
                q.round(),
                missing,
                QuantizedModelReady.CALIBRATION_SECONDS,
                QuantizedModelReady.PROJECTION_SECONDS));
      } else if (e instanceof ValidationCompleted v) {
        validation.put(
            JobSummary.validateStage(v.round()),
            seconds(
                v.quantizedMetrics(),
                "validation",
                v.round(),
                missing,
                ValidationCompleted.EVALUATION_SECONDS));
        baselineEvaluation =
            v.floatMetrics()
                .getOrDefault(ValidationCompleted.EVALUATION_SECONDS, baselineEvaluation);
      } else if (e instanceof ModelApproved a) {
        approved = a.timestamp();
      }
    }
    if (start == null || approved == null) {
      return Optional.empty();
    }
    return Optional.of(
        new StageSplit(
            jobId,
            Duration.between(start, approved).toNanos() / 1e9,
            training,
            calibration,
            validation,
            baselineEvaluation,
            missing.stream().distinct().toList()));
  }

  private static double sum(Map<String, Double> byStage) {
    return byStage.values().stream().mapToDouble(Double::doubleValue).sum();
  }

  private static double seconds(
      Map<String, Double> metrics, String stage, int round, List<String> missing, String... keys) {
    double total = 0;
    for (String key : keys) {
      Double v = metrics.get(key);
      if (v == null) {
        missing.add(stage + " (" + key + "), round " + round);
      } else {
        total += v;
      }
    }
    return total;
  }
}
