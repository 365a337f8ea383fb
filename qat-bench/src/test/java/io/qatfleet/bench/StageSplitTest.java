package io.qatfleet.bench;

import static io.qatfleet.bench.BenchEvents.approved;
import static io.qatfleet.bench.BenchEvents.approvedJob;
import static io.qatfleet.bench.BenchEvents.approvedJobWithPtq;
import static io.qatfleet.bench.BenchEvents.failed;
import static io.qatfleet.bench.BenchEvents.quantized;
import static io.qatfleet.bench.BenchEvents.retrainRequested;
import static io.qatfleet.bench.BenchEvents.submitted;
import static io.qatfleet.bench.BenchEvents.trainRequested;
import static io.qatfleet.bench.BenchEvents.trained;
import static io.qatfleet.bench.BenchEvents.validated;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.TrainRequested;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StageSplitTest {
  private static final Map<String, Double> FLOAT =
      Map.of("accuracy", 0.90, "evaluationSeconds", 8.0);

  @Test
  void splitsTheWallTimeAlongTheCriticalPath() {
    StageSplit s = StageSplit.of("j", approvedJob("j", 0)).orElseThrow();

    assertThat(s.path())
        .extracting(StageSplit.Stage::name)
        .containsExactly("baseline", "qat round 1", "quantize round 1", "validate round 1");
    assertThat(s.wallSeconds()).isCloseTo(192, within(1e-9));
    assertThat(s.trainingSeconds()).isCloseTo(90 + 55, within(1e-9));
    assertThat(s.calibrationSeconds()).isCloseTo(6 + 0.5, within(1e-9));
    assertThat(s.validationSeconds()).isCloseTo(15, within(1e-9));
    assertThat(s.otherSeconds()).isCloseTo(192 - 145 - 6.5 - 15, within(1e-9));
    assertThat(s.percentOfWall(s.otherSeconds())).isCloseTo(100 * 25.5 / 192, within(1e-9));
    // the validator evaluates the float baseline while QAT round 1 trains
    assertThat(s.beside()).containsExactly(Map.entry(StageSplit.FLOAT_EVALUATION, 8.0));
    assertThat(s.rounds()).isEqualTo(1);
    assertThat(s.notes()).isEmpty();
  }

  @Test
  void keepsRoundZeroBesideTheCriticalPath() {
    // every stage's seconds summed: 145 + 6.5 + 15 + 21 + 30 = 217.5 s in 192 s of wall time
    StageSplit s = StageSplit.of("j", approvedJobWithPtq("j", 0)).orElseThrow();

    assertThat(s.trainingSeconds()).isCloseTo(145, within(1e-9));
    assertThat(s.calibrationSeconds()).isCloseTo(6.5, within(1e-9));
    assertThat(s.validationSeconds()).isCloseTo(15, within(1e-9));
    assertThat(s.otherSeconds()).isCloseTo(25.5, within(1e-9)).isPositive();
    assertThat(s.beside())
        .containsOnly(
            Map.entry("quantize round 0", 21.0),
            Map.entry("validate round 0", 30.0),
            Map.entry(StageSplit.FLOAT_EVALUATION, 8.0));
    assertThat(s.besideSeconds()).isCloseTo(59, within(1e-9));
    assertThat(s.rounds()).isEqualTo(1);
  }

  @Test
  void placesTheOtherTimeInTheServicesAndBetweenStages() {
    StageSplit s = StageSplit.of("j", approvedJobWithPtq("j", 0)).orElseThrow();

    // path spans: baseline 0–100, QAT 101–161, quantize 161–171, validate 171–191, approved 192
    Map<String, Double> other = s.otherByPlace();

    assertThat(other.keySet()).containsExactlyElementsOf(StageSplit.PLACES);
    assertThat(other.get("trainer")).isCloseTo((100 - 90) + (60 - 55), within(1e-9));
    assertThat(other.get("quantizer")).isCloseTo(10 - 6.5, within(1e-9));
    assertThat(other.get("validator")).isCloseTo(20 - 15, within(1e-9));
    assertThat(other.get("between stages")).isCloseTo(1 + 1, within(1e-9));
    assertThat(other.values().stream().mapToDouble(Double::doubleValue).sum())
        .isCloseTo(s.otherSeconds(), within(1e-9));
  }

  @Test
  void showsAGapBetweenEventsAsBetweenStages() {
    List<QatEvent> events =
        List.of(
            submitted("j", 0),
            trained("j", 0, 100, Map.of("seconds", 90.0)),
            trainRequested("j", 112),
            trained("j", 1, 172, Map.of("seconds", 55.0)),
            quantized("j", 1, 182, Map.of("calibrationSeconds", 6.0, "projectionSeconds", 0.5)),
            validated("j", 1, 202, true, FLOAT, Map.of("evaluationSeconds", 15.0)),
            approved("j", 1, 210));

    StageSplit s = StageSplit.of("j", events).orElseThrow();

    assertThat(s.otherByPlace().get("between stages")).isCloseTo(12 + 8, within(1e-9));
    assertThat(s.otherSeconds()).isCloseTo(210 - 145 - 6.5 - 15, within(1e-9));
  }

  @Test
  void showsTheWaitBehindRoundZeroAsTheValidatorsOtherTime() {
    // round 1's quantized model arrives at 171 s while the validator is busy with round 0 until 185
    List<QatEvent> events =
        List.of(
            submitted("j", 0),
            trained("j", 0, 100, Map.of("seconds", 90.0)),
            trainRequested("j", 101),
            quantized("j", 0, 130, Map.of("calibrationSeconds", 20.0, "projectionSeconds", 1.0)),
            trained("j", 1, 161, Map.of("seconds", 55.0)),
            quantized("j", 1, 171, Map.of("calibrationSeconds", 6.0, "projectionSeconds", 0.5)),
            validated("j", 0, 185, false, FLOAT, Map.of("evaluationSeconds", 30.0)),
            validated("j", 1, 200, true, FLOAT, Map.of("evaluationSeconds", 15.0)),
            approved("j", 1, 201));

    StageSplit s = StageSplit.of("j", events).orElseThrow();

    assertThat(s.otherByPlace().get("validator")).isCloseTo((200 - 171) - 15, within(1e-9));
    assertThat(s.otherSeconds()).isCloseTo(201 - 145 - 6.5 - 15, within(1e-9));
  }

  @Test
  void putsRoundZeroOnThePathWhenItWasApproved() {
    List<QatEvent> events =
        List.of(
            submitted("j", 0),
            trained("j", 0, 100, Map.of("seconds", 90.0)),
            quantized("j", 0, 125, Map.of("calibrationSeconds", 20.0, "projectionSeconds", 1.0)),
            validated("j", 0, 160, true, FLOAT, Map.of("evaluationSeconds", 30.0)),
            approved("j", 0, 161));

    StageSplit s = StageSplit.of("j", events).orElseThrow();

    assertThat(s.path())
        .extracting(StageSplit.Stage::name)
        .containsExactly("baseline", "quantize round 0", "validate round 0");
    assertThat(s.rounds()).isZero();
    assertThat(s.otherSeconds()).isCloseTo(161 - 90 - 21 - 30, within(1e-9));
    assertThat(s.beside()).containsOnlyKeys(StageSplit.FLOAT_EVALUATION);
  }

  @Test
  void followsASendBackFromRoundZero() {
    List<QatEvent> events =
        List.of(
            submitted("j", 0),
            trained("j", 0, 100, Map.of("seconds", 90.0)),
            quantized("j", 0, 125, Map.of("calibrationSeconds", 20.0, "projectionSeconds", 1.0)),
            validated("j", 0, 160, false, FLOAT, Map.of("evaluationSeconds", 30.0)),
            retrainRequested("j", 0, 161),
            trained("j", 1, 220, Map.of("seconds", 55.0)),
            quantized("j", 1, 230, Map.of("calibrationSeconds", 6.0, "projectionSeconds", 0.5)),
            validated("j", 1, 250, true, FLOAT, Map.of("evaluationSeconds", 15.0)),
            approved("j", 1, 251));

    StageSplit s = StageSplit.of("j", events).orElseThrow();

    assertThat(s.path())
        .extracting(StageSplit.Stage::name)
        .containsExactly(
            "baseline",
            "quantize round 0",
            "validate round 0",
            "qat round 1",
            "quantize round 1",
            "validate round 1");
    assertThat(s.trainingSeconds()).isCloseTo(90 + 55, within(1e-9));
    assertThat(s.calibrationSeconds()).isCloseTo(21 + 6.5, within(1e-9));
    assertThat(s.validationSeconds()).isCloseTo(30 + 15, within(1e-9));
    assertThat(s.otherSeconds()).isCloseTo(251 - 145 - 27.5 - 45, within(1e-9));
    assertThat(s.otherByPlace().get("between stages")).isCloseTo(1 + 1, within(1e-9));
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
    assertThat(s.beside()).isEmpty();
  }

  @Test
  void neverCountsMoreComputationThanAStageSpans() {
    // the QAT round reports 70 s between its request at 101 s and its checkpoint at 161 s
    List<QatEvent> events = new ArrayList<>(approvedJob("j", 0));
    events.removeIf(
        e -> e instanceof io.qatfleet.messaging.event.FloatCheckpointReady f && !f.baseline());
    events.add(trained("j", 1, 161, Map.of("seconds", 70.0)));

    StageSplit s = StageSplit.of("j", events).orElseThrow();

    assertThat(s.trainingSeconds()).isCloseTo(90 + 60, within(1e-9));
    assertThat(s.otherByPlace().values()).allSatisfy(v -> assertThat(v).isNotNegative());
    assertThat(s.notes())
        .singleElement()
        .asString()
        .startsWith("qat round 1: computation 70.000 s");
  }

  @Test
  void keepsTheSpansOfARequestStampedBeforeItsInputApart() {
    // TrainRequested stamped 2 s before the baseline's checkpoint it follows
    List<QatEvent> events = new ArrayList<>(approvedJob("j", 0));
    events.removeIf(e -> e instanceof TrainRequested);
    events.add(trainRequested("j", 98));

    StageSplit s = StageSplit.of("j", events).orElseThrow();

    assertThat(s.path().get(1).start()).isCloseTo(100, within(1e-9));
    assertThat(s.otherByPlace().get("between stages")).isCloseTo(1, within(1e-9));
    assertThat(s.otherSeconds()).isCloseTo(25.5, within(1e-9));
  }

  @Test
  void doesNotDependOnTheOrderEventsArriveIn() {
    List<QatEvent> shuffled = new ArrayList<>(approvedJobWithPtq("j", 0));
    Collections.reverse(shuffled);

    assertThat(StageSplit.of("j", shuffled))
        .isEqualTo(StageSplit.of("j", approvedJobWithPtq("j", 0)));
  }

  @Test
  void countsAStageRepeatedByARedeliveryOnce() {
    List<QatEvent> events = new ArrayList<>(approvedJob("j", 0));
    events.add(trained("j", 1, 175, Map.of("seconds", 55.0)));

    StageSplit s = StageSplit.of("j", events).orElseThrow();

    assertThat(s.trainingSeconds()).isCloseTo(145, within(1e-9));
    assertThat(s.path().get(1).end()).isCloseTo(161, within(1e-9));
  }

  @Test
  void startsThePathAfterAMissingRequestAndSaysSo() {
    List<QatEvent> events = new ArrayList<>(approvedJob("j", 0));
    events.removeIf(e -> e instanceof TrainRequested);

    StageSplit s = StageSplit.of("j", events).orElseThrow();

    assertThat(s.path())
        .extracting(StageSplit.Stage::name)
        .containsExactly("quantize round 1", "validate round 1");
    assertThat(s.otherSeconds()).isCloseTo(192 - 6.5 - 15, within(1e-9));
    assertThat(s.notes())
        .anyMatch(n -> n.startsWith("no TrainRequested or RetrainRequested of round 1"));
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
    assertThat(s.notes())
        .containsExactly(
            "training (seconds), round 0, counted as 0",
            "calibration (projectionSeconds), round 1, counted as 0",
            "validation (evaluationSeconds), round 1, counted as 0");
  }

  @Test
  void hasNoSplitUnlessTheJobWasApproved() {
    List<QatEvent> events = new ArrayList<>(approvedJob("j", 0));
    events.removeIf(e -> e instanceof ModelApproved);
    events.add(failed("j", 1, 200));

    assertThat(StageSplit.of("j", events)).isEmpty();
    assertThat(StageSplit.of("j", List.of())).isEmpty();
  }
}
