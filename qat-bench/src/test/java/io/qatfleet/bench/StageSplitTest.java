package io.qatfleet.bench;

import static io.qatfleet.bench.BenchEvents.approved;
import static io.qatfleet.bench.BenchEvents.approvedJob;
import static io.qatfleet.bench.BenchEvents.failed;
import static io.qatfleet.bench.BenchEvents.quantized;
import static io.qatfleet.bench.BenchEvents.retrainRequested;
import static io.qatfleet.bench.BenchEvents.submitted;
import static io.qatfleet.bench.BenchEvents.trainRequested;
import static io.qatfleet.bench.BenchEvents.trained;
import static io.qatfleet.bench.BenchEvents.validated;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.qatfleet.cli.fleet.JobSummary;
import io.qatfleet.messaging.event.QatEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StageSplitTest {
  @Test
  void splitsTheWallTimeIntoTheStagesComputationAndTheRest() {
    StageSplit s = StageSplit.of("j", approvedJob("j", 0)).orElseThrow();

    assertThat(s.wallSeconds()).isCloseTo(192, within(1e-9));
    assertThat(s.trainingSeconds()).isCloseTo(90 + 55, within(1e-9));
    assertThat(s.calibrationSeconds()).isCloseTo(6.5, within(1e-9));
    assertThat(s.validationSeconds()).isCloseTo(15, within(1e-9));
    assertThat(s.otherSeconds()).isCloseTo(192 - 145 - 6.5 - 15, within(1e-9));
    assertThat(s.percentOfWall(s.otherSeconds())).isCloseTo(100 * 25.5 / 192, within(1e-9));
    // beside QAT round 1, so reported but not subtracted
    assertThat(s.baselineEvaluationSeconds()).isCloseTo(8, within(1e-9));
    assertThat(s.rounds()).isEqualTo(1);
    assertThat(s.missing()).isEmpty();
  }

  @Test
  void placesTheOtherTimeInTheServicesAndBetweenStages() {
    List<QatEvent> events = approvedJob("j", 0);
    StageSplit s = StageSplit.of("j", events).orElseThrow();

    // stages from event to event: baseline 100 s, QAT 60 s, quantize 10 s, validate 20 s
    Map<String, Double> other = s.otherByPlace(JobSummary.of("j", events).stageTimes());

    assertThat(other.keySet()).containsExactlyElementsOf(StageSplit.PLACES);
    assertThat(other.get("trainer")).isCloseTo((100 - 90) + (60 - 55), within(1e-9));
    assertThat(other.get("quantizer")).isCloseTo(10 - 6.5, within(1e-9));
    assertThat(other.get("validator")).isCloseTo(20 - 15, within(1e-9));
    assertThat(other.get("between stages")).isCloseTo(192 - 190, within(1e-9));
    assertThat(other.values().stream().mapToDouble(Double::doubleValue).sum())
        .isCloseTo(s.otherSeconds(), within(1e-9));
  }

  @Test
  void doesNotDependOnTheOrderEventsArriveIn() {
    List<QatEvent> shuffled = new ArrayList<>(approvedJob("j", 0));
    Collections.reverse(shuffled);

    assertThat(StageSplit.of("j", shuffled)).isEqualTo(StageSplit.of("j", approvedJob("j", 0)));
  }

  @Test
  void addsUpEveryRoundOfARetrainedJob() {
    List<QatEvent> events =
        List.of(
            submitted("j", 0),
            trained("j", 0, 50, Map.of("seconds", 40.0)),
            trainRequested("j", 51),
            trained("j", 1, 80, Map.of("seconds", 25.0)),
            quantized("j", 1, 85, Map.of("calibrationSeconds", 3.0, "projectionSeconds", 1.0)),
            validated("j", 1, 95, false, Map.of("accuracy", 0.9), Map.of("evaluationSeconds", 9.0)),
            retrainRequested("j", 1, 95.5),
            trained("j", 2, 150, Map.of("seconds", 50.0)),
            quantized("j", 2, 155, Map.of("calibrationSeconds", 3.0, "projectionSeconds", 1.0)),
            validated("j", 2, 165, true, Map.of("accuracy", 0.9), Map.of("evaluationSeconds", 9.0)),
            approved("j", 2, 166));

    StageSplit s = StageSplit.of("j", events).orElseThrow();

    assertThat(s.rounds()).isEqualTo(2);
    assertThat(s.trainingSeconds()).isCloseTo(115, within(1e-9));
    assertThat(s.calibrationSeconds()).isCloseTo(8, within(1e-9));
    assertThat(s.validationSeconds()).isCloseTo(18, within(1e-9));
    assertThat(s.otherSeconds()).isCloseTo(166 - 141, within(1e-9));
  }

  @Test
  void countsAStageRepeatedByARedeliveryOnce() {
    List<QatEvent> events = new ArrayList<>(approvedJob("j", 0));
    events.add(trained("j", 1, 162, Map.of("seconds", 55.0)));

    assertThat(StageSplit.of("j", events).orElseThrow().trainingSeconds())
        .isCloseTo(145, within(1e-9));
  }

  @Test
  void namesStageTimesTheEventsDidNotCarry() {
    List<QatEvent> events =
        List.of(
            submitted("j", 0),
            trained("j", 0, 50, Map.of()),
            trainRequested("j", 51),
            trained("j", 1, 80, Map.of("seconds", 25.0)),
            quantized("j", 1, 85, Map.of("calibrationSeconds", 3.0)),
            validated("j", 1, 95, true, Map.of("accuracy", 0.9), Map.of("accuracy", 0.9)),
            approved("j", 1, 96));

    StageSplit s = StageSplit.of("j", events).orElseThrow();

    assertThat(s.trainingSeconds()).isCloseTo(25, within(1e-9));
    assertThat(s.missing())
        .containsExactly(
            "training (seconds), round 0",
            "calibration (projectionSeconds), round 1",
            "validation (evaluationSeconds), round 1");
  }

  @Test
  void hasNoSplitUnlessTheJobWasApproved() {
    List<QatEvent> events = new ArrayList<>(approvedJob("j", 0));
    events.removeIf(e -> e instanceof io.qatfleet.messaging.event.ModelApproved);
    events.add(failed("j", 1, 200));

    assertThat(StageSplit.of("j", events)).isEmpty();
    assertThat(StageSplit.of("j", List.of())).isEmpty();
  }
}
