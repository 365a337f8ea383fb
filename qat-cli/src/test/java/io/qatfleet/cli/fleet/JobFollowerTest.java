package io.qatfleet.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.event.Decision;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.Remedy;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.ThresholdResult;
import io.qatfleet.messaging.event.ValidationCompleted;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The progress lines of a send-back with a remedy, and of the round it started. */
class JobFollowerTest {
  private static final String JOB = "job-1";
  private static final Instant AT = Instant.parse("2026-11-26T10:00:00Z");
  private static final CheckpointRef REF = CheckpointRef.of(new byte[] {1});
  private static final JobSpec SPEC = JobSpec.fromJson("{\"name\": \"m\"}");

  private static ValidationCompleted validation(int round, double accuracy, boolean passed) {
    MetricThreshold bar = new MetricThreshold(null, 0.01, null);
    return new ValidationCompleted(
        QatEvent.newEventId(),
        JOB,
        round,
        REF,
        AT,
        Map.of("accuracy", 0.90),
        Map.of("accuracy", accuracy),
        List.of(new ThresholdResult("accuracy", bar, 0.90, accuracy, passed)),
        1.0,
        passed ? Decision.PASS : Decision.RETRAIN,
        List.of(List.of(1)),
        List.of(List.of(1)),
        null);
  }

  @Test
  void printsTheRemedyOfASendBackLineByLine() {
    RetrainRequested sendBack =
        new RetrainRequested(
            QatEvent.newEventId(),
            JOB,
            1,
            REF,
            AT,
            SPEC,
            "round 1 failed: accuracy",
            2,
            4,
            1e-3,
            new Remedy(
                List.of("epochs 2 → 4: the loss was still falling", "distillation on"),
                0.02,
                true,
                null,
                null,
                Map.of()));
    assertThat(JobFollower.line(sendBack))
        .isEqualTo(
            "> round 1: RetrainRequested -> round 2 with 4 epochs: round 1 failed: accuracy\n"
                + "    remedy: epochs 2 → 4: the loss was still falling\n"
                + "    remedy: distillation on");
    assertThat(JobFollower.line(validation(0, 0.5, false)))
        .contains("ValidationCompleted (post-training quantization) -> retrain");
  }

  @Test
  void showsTheEffectOfTheRemedyOnTheRoundItStarted() {
    List<QatEvent> events =
        List.of(
            validation(1, 0.85, false),
            new RetrainRequested(
                QatEvent.newEventId(),
                JOB,
                1,
                REF,
                AT,
                SPEC,
                "round 1 failed",
                2,
                2,
                1e-3,
                new Remedy(List.of("distillation on"), 0.04, null, null, null, Map.of())),
            validation(2, 0.8925, true));
    // 0.8925 − 0.85 = +4.25 points.
    assertThat(RoundRow.of(events).get(1).effect()).hasValue("accuracy +4.25 pp (0.8500 → 0.8925)");
    assertThat(RoundRow.of(events).get(0).effect()).isEmpty();
  }
}
