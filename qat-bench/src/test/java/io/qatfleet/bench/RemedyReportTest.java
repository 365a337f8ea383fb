package io.qatfleet.bench;

import static io.qatfleet.bench.BenchEvents.REF;
import static io.qatfleet.bench.BenchEvents.SPEC;
import static io.qatfleet.bench.BenchEvents.approved;
import static io.qatfleet.bench.BenchEvents.at;
import static io.qatfleet.bench.BenchEvents.failed;
import static io.qatfleet.bench.BenchEvents.submitted;
import static io.qatfleet.bench.BenchEvents.trainRequested;
import static io.qatfleet.bench.BenchEvents.validated;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.qatfleet.bench.QualityGrid.Budget;
import io.qatfleet.bench.RemedyReport.Round;
import io.qatfleet.bench.RemedyReport.Seed;
import io.qatfleet.bench.RemedyReport.Verdict;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.Strategy;
import io.qatfleet.core.quant.Granularity;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.train.Distillation;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.Remedy;
import io.qatfleet.messaging.event.RetrainRequested;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RemedyReportTest {
  private static final double FLOAT = 0.88;

  private static RetrainRequested retrain(String job, int round, int epochs, double rate) {
    Remedy remedy =
        new Remedy(
            List.of("epochs 1 → 2: the loss trend is unknown", "distillation on"),
            0.0162,
            null,
            new Distillation(null, null),
            REF,
            Map.of());
    return new RetrainRequested(
        QatEvent.newEventId(),
        job,
        round,
        REF,
        at(10 * round + 5),
        SPEC,
        "accuracy missed",
        round + 1,
        epochs,
        rate,
        remedy);
  }

  private static QatEvent validation(String job, int round, double accuracy, boolean passed) {
    return validated(
        job,
        round,
        10 * round + 4,
        passed,
        Map.of("accuracy", FLOAT),
        Map.of("accuracy", accuracy));
  }

  /** A job whose rounds reach the given accuracies; approved at the first passing one. */
  private static List<QatEvent> job(String id, double ptq, double... accuracies) {
    List<QatEvent> events = new ArrayList<>();
    events.add(submitted(id, 0));
    events.add(trainRequested(id, 1));
    events.add(validation(id, 0, ptq, false));
    for (int r = 1; r <= accuracies.length; r++) {
      boolean pass = FLOAT - accuracies[r - 1] <= 0.04;
      events.add(validation(id, r, accuracies[r - 1], pass));
      if (pass) {
        events.add(approved(id, r, 10 * r + 6));
        return events;
      }
      if (r < accuracies.length) {
        events.add(retrain(id, r, 1 << r, 2e-4));
      }
    }
    events.add(failed(id, accuracies.length, 10 * accuracies.length + 6));
    return events;
  }

  @Test
  void readsEachRoundsPlanAccuracyAndDecisionFromTheEvents() {
    Seed s = Seed.of(7, "j", job("j", 0.40, 0.8256, 0.8362, 0.8450));

    assertThat(s.floatAccuracy()).isEqualTo(FLOAT);
    assertThat(s.ptqAccuracy()).isEqualTo(0.40);
    assertThat(s.rounds()).extracting(Round::round).containsExactly(1, 2, 3);
    Round first = s.rounds().get(0);
    assertThat(first.epochs()).isEqualTo(1);
    assertThat(first.distillation()).isFalse();
    assertThat(first.changes()).isEmpty();
    assertThat(first.passed()).isFalse();
    Round third = s.rounds().get(2);
    assertThat(third.epochs()).isEqualTo(4);
    assertThat(third.distillation()).isTrue();
    assertThat(third.changes()).contains("distillation on");
    assertThat(third.passed()).isTrue();
    assertThat(s.approvedRound()).isEqualTo(3);
    assertThat(s.finalRound()).map(Round::round).contains(3);
    assertThat(s.epochsThrough(2)).isEqualTo(3);
    assertThat(s.epochsSpent()).isEqualTo(7);
    assertThat(s.deltaPp(third.accuracy())).isCloseTo(-3.5, within(1e-9));
    assertThat(s.outcome()).isEqualTo("approved at round 3");
  }

  @Test
  void aJobThatUsedItsRoundsEndsFailedAtItsLastRound() {
    Seed s = Seed.of(2, "k", job("k", 0.40, 0.82, 0.83, 0.835));

    assertThat(s.approvedRound()).isNull();
    assertThat(s.failed()).isTrue();
    assertThat(s.finalRound()).map(Round::round).contains(3);
    assertThat(s.outcome()).isEqualTo("failed after round 3");
  }

  @Test
  void judgesTheMedianAtTheFinalRoundAgainstTheBar() {
    List<Seed> seeds =
        List.of(
            Seed.of(1, "a", job("a", 0.4, 0.82, 0.845)), // approved at 2: -3.5
            Seed.of(2, "b", job("b", 0.4, 0.82, 0.83, 0.834)), // failed: -4.6
            Seed.of(3, "c", job("c", 0.4, 0.82, 0.83, 0.841))); // approved at 3: -3.9

    Verdict v = RemedyReport.judge(seeds, 4);

    assertThat(v.approved()).isEqualTo(2);
    assertThat(v.seeds()).isEqualTo(3);
    assertThat(v.finalDelta().median()).isCloseTo(-3.9, within(1e-9));
    assertThat(v.finalDelta().min()).isCloseTo(-4.6, within(1e-9));
    assertThat(v.round1Delta().median()).isCloseTo(-6.0, within(1e-9));
    assertThat(v.epochsSpent().median()).isEqualTo(7.0);
    assertThat(v.epochsSpent().min()).isEqualTo(3.0);
    assertThat(v.met()).isTrue();
    String md = RemedyReport.markdown("a job", seeds, 4, 3, 1);
    assertThat(md)
        .contains("Passes within maxRounds 3 on 2 of 3 seeds")
        .contains("**met** (median -3.90 pp)")
        .contains(
            "| 2 | 0.8800 | -48.00 | -6.00 | -5.00 | -4.60 | failed after round 3 | -4.60 | 7 |")
        .contains("| 1 | 2 | 2 (3) | 2.00e-04 | on | none | 0.8450 (0.8800) | -3.50 | pass |");

    Verdict strict = RemedyReport.judge(seeds, 3.8);
    assertThat(strict.met()).isFalse();
    assertThat(RemedyReport.markdown("a job", seeds, 3.8, 3, 1)).contains("**missed**");
  }

  @Test
  void aSeedWithoutAValidatedRoundGivesNoVerdictAndIsLeftOutOfTheMedian() {
    Seed none = Seed.of(4, "n", List.of(submitted("n", 0)));
    assertThat(none.outcome()).isEqualTo("no verdict");
    assertThat(none.finalRound()).isEmpty();

    Verdict alone = RemedyReport.judge(List.of(none), 4);
    assertThat(alone.met()).isFalse();
    assertThat(alone.finalDelta()).isNull();
    assertThat(RemedyReport.markdown("a job", List.of(none), 4, 3, 1)).contains("no verdict");

    Verdict mixed = RemedyReport.judge(List.of(none, Seed.of(1, "a", job("a", 0.4, 0.85))), 4);
    assertThat(mixed.finalDelta().count()).isEqualTo(1);
    assertThat(mixed.approved()).isEqualTo(1);
  }

  @Test
  void refusesNoSeedsAndABarThatIsNotANumber() {
    assertThatThrownBy(() -> RemedyReport.judge(List.of(), 4))
        .isInstanceOf(IllegalArgumentException.class);
    Seed s = Seed.of(1, "a", job("a", 0.4, 0.85));
    assertThatThrownBy(() -> RemedyReport.judge(List.of(s), Double.NaN))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theJobIsTheQualityBudgetWithTheBarAndNoMaxBits() {
    JobSpec job = RemedyBench.job(2, new Budget(10_000, 0, 4, 1, 128), 2, 2, 4, 3);

    job.requireValid();
    assertThat(job.name()).isEqualTo("bench-remedy-w2a2-seed2");
    assertThat(job.data().dataset()).isEqualTo("fashion-mnist");
    assertThat(job.data().trainLimit()).isEqualTo(10_000);
    assertThat(job.quantization().weightBits()).isEqualTo(2);
    assertThat(job.quantization().activationBits()).isEqualTo(2);
    assertThat(job.quantization().method()).isEqualTo(QatMethod.LSQ_PACT);
    assertThat(job.quantization().granularity()).isEqualTo(Granularity.PER_CHANNEL);
    assertThat(job.quantization().maxBits()).isNull();
    assertThat(job.training().floatEpochs()).isEqualTo(4);
    assertThat(job.training().qatEpochs()).isEqualTo(1);
    assertThat(job.training().seed()).isEqualTo(2L);
    assertThat(job.training().distillation()).isNull();
    assertThat(job.thresholds().get("accuracy").maxAbsDrop()).isCloseTo(0.04, within(1e-12));
    assertThat(job.maxRounds()).isEqualTo(3);
    assertThat(job.strategy()).isEqualTo(Strategy.QAT);
  }

  @Test
  void refusesHostileArguments() {
    assertThat(RemedyBench.problems(List.of(1L, 2L, 3L), 4, 3, 10_000, 0, 4, 1, 128, 120))
        .isEmpty();
    assertThat(RemedyBench.problems(List.of(), Double.NaN, 0, -1, 0, 0, 1, 128, 0))
        .hasSize(6)
        .anyMatch(p -> p.startsWith("--seeds"))
        .anyMatch(p -> p.startsWith("--max-drop-pp"))
        .anyMatch(p -> p.startsWith("--max-rounds"))
        .anyMatch(p -> p.startsWith("--timeout-minutes"));
    assertThat(RemedyBench.problems(List.of(1L, 1L), 4, 3, 10_000, 0, 4, 1, 128, 120))
        .containsExactly("--seeds: each seed once, got [1, 1]");
  }
}
