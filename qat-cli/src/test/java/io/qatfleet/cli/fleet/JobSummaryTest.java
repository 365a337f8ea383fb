package io.qatfleet.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.event.Decision;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.ThresholdResult;
import io.qatfleet.messaging.event.ThresholdSource;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.event.ValidationCompleted;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobSummaryTest {
  private static final String JOB = "job-1";
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
  private static final CheckpointRef REF = CheckpointRef.of(new byte[] {1});
  private static final JobSpec SPEC = JobSpec.fromJson("{\"name\": \"m\"}");

  private static Instant at(int seconds) {
    return T0.plusSeconds(seconds);
  }

  /** A validation of {@code round} at second {@code second} that passed a 1 pp accuracy bar. */
  private static ValidationCompleted passed(int round, int second) {
    return new ValidationCompleted(
        QatEvent.newEventId(),
        JOB,
        round,
        REF,
        at(second),
        Map.of("accuracy", 0.90),
        Map.of("accuracy", 0.899),
        List.of(
            new ThresholdResult(
                "accuracy", new MetricThreshold(null, 0.01, null), 0.90, 0.899, true)),
        1.0,
        Decision.PASS,
        List.of(List.of(9, 1), List.of(1, 9)),
        List.of(List.of(9, 1), List.of(1, 9)));
  }

  /** A ptq_first job approved from round 0 ran no QAT round, and its headline says so. */
  @Test
  void saysAnApprovalFromRoundZeroRanNoQatRound() {
    List<QatEvent> events =
        List.of(
            new JobSubmitted(QatEvent.newEventId(), JOB, 0, null, at(0), SPEC),
            new FloatCheckpointReady(
                QatEvent.newEventId(), JOB, 0, REF, at(100), SPEC, true, Map.of()),
            new QuantizedModelReady(
                QatEvent.newEventId(), JOB, 0, REF, at(110), SPEC, REF, Map.of()),
            passed(0, 120),
            new ModelApproved(
                QatEvent.newEventId(), JOB, 0, REF, at(121), "m", 1, Map.of(), SPEC, REF));
    JobSummary summary = JobSummary.of(JOB, events);
    assertThat(summary.headline())
        .isEqualTo(
            "APPROVED as m v1 from post-training quantization (round 0), no QAT round, 121 s");
    assertThat(summary.rounds()).extracting(RoundRow::round).containsExactly(0);
  }

  @Test
  void splitsWallTimeIntoStagesAndTheRest() {
    List<QatEvent> events =
        List.of(
            new JobSubmitted(QatEvent.newEventId(), JOB, 0, null, at(0), SPEC),
            new FloatCheckpointReady(
                QatEvent.newEventId(), JOB, 0, REF, at(100), SPEC, true, Map.of()),
            new TrainRequested(
                QatEvent.newEventId(), JOB, 1, REF, at(101), SPEC, "first", 2, 1e-3, REF),
            new FloatCheckpointReady(
                QatEvent.newEventId(), JOB, 1, REF, at(161), SPEC, false, Map.of()),
            new QuantizedModelReady(
                QatEvent.newEventId(), JOB, 1, REF, at(171), SPEC, REF, Map.of()),
            new ValidationCompleted(
                QatEvent.newEventId(),
                JOB,
                1,
                REF,
                at(191),
                Map.of("accuracy", 0.90, "modelBytes", 4096.0),
                Map.of("accuracy", 0.895, "modelBytes", 1024.0),
                List.of(
                    new ThresholdResult(
                        "accuracy", new MetricThreshold(null, 0.01, null), 0.90, 0.895, true)),
                0.999,
                Decision.PASS,
                List.of(List.of(9, 1), List.of(1, 9)),
                List.of(List.of(9, 1), List.of(1, 9))),
            new ModelApproved(
                QatEvent.newEventId(), JOB, 1, REF, at(192), "m", 1, Map.of(), SPEC, REF));
    JobSummary summary = JobSummary.of(JOB, events);
    assertThat(summary.finished()).isTrue();
    assertThat(summary.total()).isEqualTo(Duration.ofSeconds(192));
    assertThat(summary.stageTimes())
        .containsEntry("baseline", Duration.ofSeconds(100))
        .containsEntry("qat round 1", Duration.ofSeconds(60))
        .containsEntry("quantize round 1", Duration.ofSeconds(10))
        .containsEntry("validate round 1", Duration.ofSeconds(20));
    // 192 s in all, 190 s in stages: 2 s for transport and queueing
    assertThat(summary.table())
        .contains("| between stages | 2.0 |")
        .contains("| accuracy | 0.9000 | 0.8950 | -0.50 | drop ≤ 1.0 pp | yes |")
        .contains("APPROVED as m v1")
        .contains("model size: float 4.0 KiB, integer 1.0 KiB (4.0× smaller)");
  }

  @Test
  void saysWhenTheDefaultBarApplied() {
    ValidationCompleted report =
        new ValidationCompleted(
            QatEvent.newEventId(),
            JOB,
            1,
            REF,
            at(10),
            Map.of("accuracy", 0.90),
            Map.of("accuracy", 0.85),
            List.of(
                new ThresholdResult(
                    "accuracy", new MetricThreshold(null, 0.01, null), 0.90, 0.85, false)),
            0.999,
            Decision.REJECT,
            List.of(List.of(9, 1), List.of(1, 9)),
            List.of(List.of(9, 1), List.of(1, 9)),
            ThresholdSource.DEFAULT);

    assertThat(JobSummary.of(JOB, List.of(report)).table())
        .contains("| accuracy | 0.9000 | 0.8500 | -5.00 | drop ≤ 1.0 pp | NO |")
        .contains("bar: the validator's default (qat.default-thresholds)");
  }

  @Test
  void saysHowOnnxRuntimeAndTheIntegerEngineWereMeasured() {
    Map<String, Double> quantized =
        Map.of(
            "accuracy", 0.91,
            "testSamples", 10000.0,
            "onnxEvaluationSeconds", 1.5,
            "onnxAgreement", 0.9995,
            "integerAccuracy", 0.9105,
            "referenceSamples", 2000.0,
            "referenceEvaluationSeconds", 9.25,
            "modelBytes", 2048.0,
            "onnxModelBytes", 3072.0);
    ValidationCompleted report =
        new ValidationCompleted(
            QatEvent.newEventId(),
            JOB,
            1,
            REF,
            at(10),
            Map.of("accuracy", 0.91, "modelBytes", 16384.0),
            quantized,
            List.of(),
            1.0,
            Decision.PASS,
            List.of(List.of(9, 1), List.of(1, 9)),
            List.of(List.of(9, 1), List.of(1, 9)),
            ThresholdSource.SPEC);

    assertThat(JobSummary.of(JOB, List.of(report)).table())
        .contains(
            "quantized = model.onnx in ONNX Runtime on 10000 test images (1.5 s); ONNX Runtime vs"
                + " integer engine agreement: 99.95 %, integer engine accuracy 0.9105 (reference,"
                + " on the first 2000 images, 9.3 s)")
        .contains("model size: float 16.0 KiB, integer 2.0 KiB (8.0× smaller), model.onnx 3.0 KiB");
  }

  @Test
  void isUnfinishedWithoutADecision() {
    JobSummary summary =
        JobSummary.of(
            JOB, List.of(new JobSubmitted(QatEvent.newEventId(), JOB, 0, null, at(0), SPEC)));
    assertThat(summary.finished()).isFalse();
  }

  /** An approval seen before its round's validation (another topic) is not the whole story yet. */
  @Test
  void knowsWhetherTheApprovedRoundsValidationWasSeen() {
    ModelApproved approval =
        new ModelApproved(QatEvent.newEventId(), JOB, 1, REF, at(200), "m", 1, Map.of(), SPEC, REF);
    ValidationCompleted round1 = passed(1, 199);
    JobSummary early = JobSummary.of(JOB, List.of(approval));
    assertThat(early.finished()).isTrue();
    assertThat(early.approvalValidationSeen()).isFalse();
    assertThat(JobSummary.of(JOB, List.of(approval, round1)).approvalValidationSeen()).isTrue();
  }
}
