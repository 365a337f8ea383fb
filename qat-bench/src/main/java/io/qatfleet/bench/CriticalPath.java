package io.qatfleet.bench;

import io.qatfleet.bench.StageSplit.JobEvents;
import io.qatfleet.bench.StageSplit.Kind;
import io.qatfleet.bench.StageSplit.Link;
import io.qatfleet.cli.fleet.JobSummary;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.ValidationCompleted;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The chain of stages that decided when a job was approved, walked back from its {@code
 * ModelApproved} through the events that requested each stage: validate r ← quantize r ← QAT round
 * r ← its request; a {@code RetrainRequested} leads on to validate r−1, a {@code TrainRequested} to
 * the float baseline; round 0 (post-training quantization) is on the chain only where it led
 * somewhere: approved from round 0, or sent back to round 1 ({@code ptq_first}).
 */
final class CriticalPath {
  private CriticalPath() {}

  /**
   * The chain in time order; where an event it needs is missing, the chain starts after it and
   * {@code notes} says which.
   */
  static List<Link> walk(JobEvents e, List<String> notes) {
    List<Link> back = new ArrayList<>();
    int r = e.approved.round();
    // each step goes down at least one round, so this ends
    while (true) {
      if (!e.validated.containsKey(r) || !e.quantized.containsKey(r)) {
        notes.add(
            "no "
                + (e.validated.containsKey(r) ? "QuantizedModelReady" : "ValidationCompleted")
                + " of round "
                + r
                + ": the critical path starts after it");
        break;
      }
      back.add(validate(e, r));
      FloatCheckpointReady input = r == 0 ? e.baseline : e.trained.get(r);
      if (input == null) {
        notes.add(
            "no "
                + (r == 0 ? "baseline " : "")
                + "FloatCheckpointReady of round "
                + r
                + ": the critical path starts after it");
        break;
      }
      back.add(quantize(e, r, input.timestamp()));
      if (r == 0) {
        back.add(baseline(e));
        break;
      }
      QatEvent request = request(e, r);
      if (request == null) {
        notes.add(
            "no TrainRequested or RetrainRequested of round "
                + r
                + ": the critical path starts at its FloatCheckpointReady, its training counts as"
                + " beside it");
        break;
      }
      back.add(qat(e, r, request.timestamp()));
      if (request instanceof RetrainRequested rr) {
        if (rr.round() >= r) {
          notes.add("RetrainRequested " + rr.round() + " → " + r + " goes no round back");
          break;
        }
        r = rr.round();
      } else {
        // a TrainRequested follows the float baseline (a job from a trigger has none)
        if (e.baseline != null) {
          back.add(baseline(e));
        }
        break;
      }
    }
    Collections.reverse(back);
    return back;
  }

  /** The earlier of the requests for QAT round {@code r}, the one the trainer acted on. */
  private static QatEvent request(JobEvents e, int r) {
    QatEvent t = e.trainRequested.get(r);
    QatEvent rr = e.retrainRequested.get(r);
    if (t == null || rr == null) {
      return t == null ? rr : t;
    }
    return t.timestamp().isAfter(rr.timestamp()) ? rr : t;
  }

  static Link baseline(JobEvents e) {
    return new Link(
        JobSummary.BASELINE_STAGE,
        Kind.TRAINING,
        e.start(),
        e.baseline.timestamp(),
        0,
        e.baseline.trainingMetrics(),
        List.of(FloatCheckpointReady.TRAINING_SECONDS));
  }

  static Link qat(JobEvents e, int r, Instant requested) {
    FloatCheckpointReady f = e.trained.get(r);
    return new Link(
        JobSummary.qatStage(r),
        Kind.TRAINING,
        requested,
        f.timestamp(),
        r,
        f.trainingMetrics(),
        List.of(FloatCheckpointReady.TRAINING_SECONDS));
  }

  static Link quantize(JobEvents e, int r, Instant input) {
    QuantizedModelReady q = e.quantized.get(r);
    return new Link(
        JobSummary.quantizeStage(r),
        Kind.CALIBRATION,
        input,
        q.timestamp(),
        r,
        q.calibrationMetrics(),
        List.of(QuantizedModelReady.CALIBRATION_SECONDS, QuantizedModelReady.PROJECTION_SECONDS));
  }

  static Link validate(JobEvents e, int r) {
    ValidationCompleted v = e.validated.get(r);
    QuantizedModelReady q = e.quantized.get(r);
    return new Link(
        JobSummary.validateStage(r),
        Kind.VALIDATION,
        q == null ? null : q.timestamp(),
        v.timestamp(),
        r,
        v.quantizedMetrics(),
        List.of(ValidationCompleted.EVALUATION_SECONDS));
  }
}
