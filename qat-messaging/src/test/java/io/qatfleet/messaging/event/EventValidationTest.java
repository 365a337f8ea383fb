package io.qatfleet.messaging.event;

import static io.qatfleet.messaging.event.SampleEvents.AT;
import static io.qatfleet.messaging.event.SampleEvents.FLOAT_CKPT;
import static io.qatfleet.messaging.event.SampleEvents.INT_CKPT;
import static io.qatfleet.messaging.event.SampleEvents.JOB;
import static io.qatfleet.messaging.event.SampleEvents.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventValidationTest {

  @Test
  void rejectsNegativeRoundNamingValue() {
    assertThatThrownBy(
            () ->
                new TrainRequested(
                    id(1), JOB, -1, null, AT, SampleEvents.spec(), "r", 1, 0.1, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("round must be >= 0, was -1");
  }

  @Test
  void rejectsEventIdThatIsNotUuid() {
    assertThatThrownBy(
            () ->
                new TrainRequested("abc", JOB, 0, null, AT, SampleEvents.spec(), "r", 1, 0.1, null))
        .hasMessage("eventId must be a UUID, was 'abc'");
  }

  @Test
  void rejectsBlankJobId() {
    assertThatThrownBy(
            () ->
                new TrainRequested(id(1), " ", 0, null, AT, SampleEvents.spec(), "r", 1, 0.1, null))
        .hasMessage("jobId must not be blank, was ' '");
  }

  @Test
  void boundsJobIdLengthOnEveryEvent() {
    String longest = "j".repeat(QatEvent.MAX_JOB_ID_LENGTH);
    assertThat(new JobCancelled(id(1), longest, 0, null, AT, "op", "why").jobId())
        .isEqualTo(longest);
    assertThatThrownBy(() -> new JobCancelled(id(1), longest + "j", 0, null, AT, "op", "why"))
        .hasMessage(
            "jobId must be at most 128 characters, was 129 starting '" + "j".repeat(40) + "...'");
    assertThatThrownBy(
            () ->
                new TrainRequested(
                    id(1), longest + "j", 0, null, AT, SampleEvents.spec(), "r", 1, 0.1, null))
        .hasMessageStartingWith("jobId must be at most 128 characters");
  }

  @Test
  void rejectsCheckpointRefWithBadDigest() {
    assertThatThrownBy(() -> new CheckpointRef("ABC", 3))
        .hasMessage("sha256 must be 64 lowercase hex digits, was 'ABC'");
  }

  @Test
  void computesCheckpointRefOfKnownBytes() {
    // SHA-256("abc") from FIPS 180-2, appendix B.1.
    assertThat(CheckpointRef.of("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
        .isEqualTo(
            new CheckpointRef(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3));
  }

  @Test
  void rejectsNonFiniteMetric() {
    assertThatThrownBy(
            () ->
                new FloatCheckpointReady(
                    id(1),
                    JOB,
                    0,
                    FLOAT_CKPT,
                    AT,
                    SampleEvents.spec(),
                    true,
                    Map.of("loss", Double.NaN)))
        .hasMessage("trainingMetrics['loss'] must be a finite number, was NaN");
  }

  @Test
  void copiesMetricsSoCallerCannotChangeEvent() {
    Map<String, Double> metrics = new HashMap<>(Map.of("loss", 1.0));
    FloatCheckpointReady event =
        new FloatCheckpointReady(id(1), JOB, 0, FLOAT_CKPT, AT, SampleEvents.spec(), true, metrics);
    metrics.put("loss", 2.0);
    assertThat(event.trainingMetrics()).containsEntry("loss", 1.0);
  }

  @Test
  void rejectsRetrainWhoseNextRoundSkipsARound() {
    assertThatThrownBy(
            () ->
                new RetrainRequested(
                    id(1), JOB, 2, INT_CKPT, AT, SampleEvents.spec(), "drop", 4, 3, 1e-3))
        .hasMessage("nextRound must be round + 1 = 3, was 4");
  }

  @Test
  void rejectsPassDecisionWithFailedThreshold() {
    ThresholdResult failed =
        new ThresholdResult("accuracy", new MetricThreshold(0.9, null, null), 0.91, 0.85, false);
    assertThatThrownBy(
            () ->
                new ValidationCompleted(
                    id(1),
                    JOB,
                    1,
                    INT_CKPT,
                    AT,
                    Map.of(),
                    Map.of(),
                    List.of(failed),
                    1.0,
                    Decision.PASS,
                    List.of(List.of(1)),
                    List.of(List.of(1))))
        .hasMessageContaining("decision must be pass exactly when every threshold passed");
  }

  @Test
  void rejectsConfusionMatrixThatIsNotSquare() {
    assertThatThrownBy(
            () ->
                validation(
                    List.of(List.of(3, 1), List.of(2)), List.of(List.of(1, 0), List.of(0, 1))))
        .hasMessage("floatConfusion must be square, but row 1 has 1 of 2 columns");
  }

  @Test
  void rejectsNegativeConfusionCount() {
    assertThatThrownBy(
            () ->
                validation(
                    List.of(List.of(3, 1), List.of(2, 5)), List.of(List.of(1, -1), List.of(0, 1))))
        .hasMessage("quantizedConfusion[0][1] must be a count >= 0, was -1");
  }

  @Test
  void rejectsConfusionMatricesOfDifferentClassCounts() {
    assertThatThrownBy(() -> validation(List.of(List.of(3, 1), List.of(2, 5)), List.of(List.of(4))))
        .hasMessage(
            "floatConfusion and quantizedConfusion must have as many classes, were 2 and 1");
  }

  private static ValidationCompleted validation(
      List<List<Integer>> floatConfusion, List<List<Integer>> quantizedConfusion) {
    return new ValidationCompleted(
        id(1),
        JOB,
        1,
        INT_CKPT,
        AT,
        Map.of(),
        Map.of(),
        List.of(),
        1.0,
        Decision.PASS,
        floatConfusion,
        quantizedConfusion);
  }

  @Test
  void rejectsProgressOutsideUnitInterval() {
    assertThatThrownBy(
            () -> new StatusUpdate(id(1), JOB, 0, null, AT, "qat", 1.5, "", null, null, null))
        .hasMessage("progress must be in [0, 1], was 1.5");
  }

  @Test
  void rejectsJobSubmittedWithInvalidSpecNamingEveryViolation() {
    JobSpec bad = new JobSpec("bad name!", null, null, null, null, null, 0);
    assertThatThrownBy(() -> new JobSubmitted(id(1), JOB, 0, null, AT, bad))
        .hasMessageStartingWith("spec is invalid: ")
        .hasMessageContaining("name:")
        .hasMessageContaining("maxRounds:");
  }

  @Test
  void rejectsBestRoundWithoutBestCheckpoint() {
    assertThatThrownBy(() -> new JobFailed(id(1), JOB, 3, null, AT, "no rounds left", 2, null))
        .hasMessage(
            "bestRound and bestCheckpoint must both be set or both be null, were 2 and null");
  }

  @Test
  void keepsOriginalBytesOfDeadLetter() {
    DeadLetter letter = (DeadLetter) SampleEvents.all().get(9);
    assertThat(letter.originalBytes()).containsExactly('{', 0, 0xff);
  }
}
