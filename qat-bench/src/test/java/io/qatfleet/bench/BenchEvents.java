package io.qatfleet.bench;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.event.Decision;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.ThresholdResult;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.event.ValidationCompleted;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Events of made-up jobs, stamped in seconds from a fixed instant. */
final class BenchEvents {
  static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");
  static final CheckpointRef REF = CheckpointRef.of(new byte[] {1});
  static final JobSpec SPEC = JobSpec.fromJson("{\"name\": \"m\"}");

  private BenchEvents() {}

  static Instant at(double seconds) {
    return T0.plusNanos((long) (seconds * 1e9));
  }

  static JobSubmitted submitted(String job, double t) {
    return new JobSubmitted(QatEvent.newEventId(), job, 0, null, at(t), SPEC);
  }

  static TrainRequested trainRequested(String job, double t) {
    return new TrainRequested(
        QatEvent.newEventId(), job, 1, REF, at(t), SPEC, "first QAT round", 1, 1e-3, REF);
  }

  static RetrainRequested retrainRequested(String job, int round, double t) {
    return new RetrainRequested(
        QatEvent.newEventId(), job, round, REF, at(t), SPEC, "failed", round + 1, 2, 1e-3);
  }

  static FloatCheckpointReady trained(String job, int round, double t, Map<String, Double> m) {
    return new FloatCheckpointReady(
        QatEvent.newEventId(), job, round, REF, at(t), SPEC, round == 0, m);
  }

  static QuantizedModelReady quantized(String job, int round, double t, Map<String, Double> m) {
    return new QuantizedModelReady(QatEvent.newEventId(), job, round, REF, at(t), SPEC, REF, m);
  }

  static ValidationCompleted validated(
      String job,
      int round,
      double t,
      boolean passed,
      Map<String, Double> floatMetrics,
      Map<String, Double> quantizedMetrics) {
    return new ValidationCompleted(
        QatEvent.newEventId(),
        job,
        round,
        REF,
        at(t),
        floatMetrics,
        quantizedMetrics,
        List.of(
            new ThresholdResult(
                "accuracy", new MetricThreshold(null, 0.01, null), 0.90, 0.895, passed)),
        0.999,
        passed ? Decision.PASS : Decision.RETRAIN,
        List.of(List.of(9, 1), List.of(1, 9)),
        List.of(List.of(9, 1), List.of(1, 9)));
  }

  static ModelApproved approved(String job, int round, double t) {
    return new ModelApproved(
        QatEvent.newEventId(), job, round, REF, at(t), "m", 1, Map.of(), SPEC, REF);
  }

  static JobFailed failed(String job, int round, double t) {
    return new JobFailed(
        QatEvent.newEventId(), job, round, REF, at(t), "no rounds left", null, null);
  }

  static StatusUpdate status(String job, int round, double t) {
    return new StatusUpdate(
        QatEvent.newEventId(), job, round, null, at(t), "qat", 0.5, "", 1, 0.3, 1000.0);
  }

  /** A job approved after one round: 192 s of wall time, 166.5 s of them in stages. */
  static List<QatEvent> approvedJob(String job, double start) {
    return List.of(
        submitted(job, start),
        trained(job, 0, start + 100, Map.of("seconds", 90.0, "loss", 0.3)),
        trainRequested(job, start + 101),
        status(job, 1, start + 130),
        trained(job, 1, start + 161, Map.of("seconds", 55.0)),
        quantized(job, 1, start + 171, Map.of("calibrationSeconds", 6.0, "projectionSeconds", 0.5)),
        validated(
            job,
            1,
            start + 191,
            true,
            Map.of("accuracy", 0.90, "evaluationSeconds", 8.0),
            Map.of("accuracy", 0.895, "evaluationSeconds", 15.0)),
        approved(job, 1, start + 192));
  }

  /**
   * {@link #approvedJob} with round 0 (post-training quantization) beside QAT round 1: quantized
   * from 100 s to 130 s (21 s of calibration), validated until 165 s (30 s of evaluation), so that
   * the stages' seconds add up to more than the 192 s of wall time.
   */
  static List<QatEvent> approvedJobWithPtq(String job, double start) {
    List<QatEvent> events = new java.util.ArrayList<>(approvedJob(job, start));
    events.add(
        quantized(
            job, 0, start + 130, Map.of("calibrationSeconds", 20.0, "projectionSeconds", 1.0)));
    events.add(
        validated(
            job,
            0,
            start + 165,
            false,
            Map.of("accuracy", 0.90, "evaluationSeconds", 8.0),
            Map.of("accuracy", 0.85, "evaluationSeconds", 30.0)));
    return List.copyOf(events);
  }
}
