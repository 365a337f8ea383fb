package io.qatfleet.bench;

import io.qatfleet.messaging.event.Decision;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.Remedy;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.event.ValidationCompleted;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What {@code qat bench remedy} measured, and its Markdown: per seed, one job through the fleet,
 * read back from its events. Each QAT round's plan (epochs, learning rate, distillation, raised
 * bits, and the remedy's reasons) comes from the event that asked for it ({@link TrainRequested}
 * for round 1, {@link RetrainRequested} after a miss), its accuracy and decision from the
 * validator's {@link ValidationCompleted}; round 0 is the post-training quantization the fleet
 * reports beside. Without I/O, so that the table and the verdict can be tested on made-up events.
 */
final class RemedyReport {
  private RemedyReport() {}

  /** Accuracy key of the validator's metrics. */
  static final String ACCURACY = "accuracy";

  /**
   * One QAT round of a job.
   *
   * @param epochs the round's epoch budget, as its request named it
   * @param learningRate the round's initial QAT learning rate
   * @param distillation whether the round distilled from the float baseline
   * @param raisedBits weight bits the remedy raised, by layer index; empty when none
   * @param changes what the remedy before the round changed, with its reasons; empty for round 1
   * @param accuracy the validator's accuracy of the round's integer model on the test split
   * @param passed whether the round met every threshold of the job
   */
  record Round(
      int round,
      int epochs,
      double learningRate,
      boolean distillation,
      Map<String, Integer> raisedBits,
      List<String> changes,
      double accuracy,
      boolean passed) {}

  /**
   * One seed's job.
   *
   * @param floatAccuracy the validator's accuracy of the float baseline; NaN when no round was
   *     validated
   * @param ptqAccuracy round 0's (post-training quantization) accuracy; null when not reported
   * @param rounds the validated QAT rounds in order
   * @param approvedRound the round the validator approved; null when none was
   * @param failed whether the job ended with {@code JobFailed}
   */
  record Seed(
      long seed,
      String jobId,
      double floatAccuracy,
      Double ptqAccuracy,
      List<Round> rounds,
      Integer approvedRound,
      boolean failed) {

    /** Quantized minus float accuracy, in percentage points (negative: accuracy lost). */
    double deltaPp(double accuracy) {
      return 100 * (accuracy - floatAccuracy);
    }

    /** The approving round, else the last validated one; empty when none was validated. */
    Optional<Round> finalRound() {
      if (approvedRound != null) {
        Optional<Round> approved =
            rounds.stream().filter(r -> r.round() == approvedRound).findFirst();
        if (approved.isPresent()) {
          return approved;
        }
      }
      return rounds.isEmpty() ? Optional.empty() : Optional.of(rounds.get(rounds.size() - 1));
    }

    /** QAT epochs of rounds 1 to {@code round}. */
    int epochsThrough(int round) {
      return rounds.stream().filter(r -> r.round() <= round).mapToInt(Round::epochs).sum();
    }

    /** QAT epochs of every round up to the final one. */
    int epochsSpent() {
      return finalRound().map(r -> epochsThrough(r.round())).orElse(0);
    }

    String outcome() {
      if (approvedRound != null) {
        return "approved at round " + approvedRound;
      }
      if (failed) {
        return "failed after round " + finalRound().map(Round::round).orElse(0);
      }
      return "no verdict";
    }

    /** A job's seed result from its events as read back from the topics. */
    static Seed of(long seed, String jobId, List<QatEvent> events) {
      Map<Integer, Plan> plans = new TreeMap<>();
      Map<Integer, ValidationCompleted> validations = new TreeMap<>();
      Integer approved = null;
      boolean failed = false;
      for (QatEvent e : events) {
        if (e instanceof TrainRequested t) {
          plans.put(
              t.round(),
              new Plan(
                  t.epochs(),
                  t.learningRate(),
                  t.spec().training().distillation() != null,
                  Map.of(),
                  List.of()));
        } else if (e instanceof RetrainRequested r) {
          Remedy remedy = r.remedy();
          plans.put(
              r.nextRound(),
              new Plan(
                  r.epochs(),
                  r.learningRate(),
                  remedy == null
                      ? r.spec().training().distillation() != null
                      : remedy.distillation() != null,
                  remedy == null ? Map.of() : remedy.weightBits(),
                  remedy == null ? List.of(r.reason()) : remedy.changes()));
        } else if (e instanceof ValidationCompleted v) {
          validations.put(v.round(), v);
        } else if (e instanceof ModelApproved a) {
          approved = a.round();
        } else if (e instanceof JobFailed) {
          failed = true;
        }
      }
      double floatAccuracy = Double.NaN;
      Double ptq = null;
      List<Round> rounds = new ArrayList<>();
      for (ValidationCompleted v : validations.values()) {
        Double f = v.floatMetrics().get(ACCURACY);
        if (f != null) {
          floatAccuracy = f;
        }
        Double q = v.quantizedMetrics().get(ACCURACY);
        if (q == null) {
          continue;
        }
        if (v.round() == 0) {
          ptq = q;
          continue;
        }
        Plan p = plans.get(v.round());
        rounds.add(
            p == null
                ? new Round(v.round(), 0, Double.NaN, false, Map.of(), List.of(), q, pass(v))
                : new Round(
                    v.round(),
                    p.epochs(),
                    p.learningRate(),
                    p.distillation(),
                    p.raisedBits(),
                    p.changes(),
                    q,
                    pass(v)));
      }
      return new Seed(seed, jobId, floatAccuracy, ptq, rounds, approved, failed);
    }

    private static boolean pass(ValidationCompleted v) {
      return v.decision() == Decision.PASS;
    }
  }

  private record Plan(
      int epochs,
      double learningRate,
      boolean distillation,
      Map<String, Integer> raisedBits,
      List<String> changes) {}

  /**
   * The goal's judgement over the seeds.
   *
   * @param approved seeds whose job was approved within its rounds
   * @param seeds seeds submitted
   * @param finalDelta Δ (pp) at each validated seed's approving or last round; null when no seed
   *     had a validated round
   * @param round1Delta Δ (pp) of round 1 alone (the one-round budget); null as above
   * @param epochsSpent QAT epochs up to each validated seed's final round; null as above
   * @param met whether the median Δ at the final round is within the bar
   */
  record Verdict(
      int approved,
      int seeds,
      Stats finalDelta,
      Stats round1Delta,
      Stats epochsSpent,
      boolean met) {}

  /**
   * Judges the goal: the median over seeds (as quality.md judges its goals) of Δ at the approving
   * or last round within {@code maxDropPp}.
   */
  static Verdict judge(List<Seed> seeds, double maxDropPp) {
    if (seeds.isEmpty()) {
      throw new IllegalArgumentException("no seeds");
    }
    if (!(maxDropPp >= 0) || !Double.isFinite(maxDropPp)) {
      throw new IllegalArgumentException("maxDropPp must be finite and >= 0, was " + maxDropPp);
    }
    int approved = (int) seeds.stream().filter(s -> s.approvedRound() != null).count();
    List<Double> deltas = new ArrayList<>();
    List<Double> first = new ArrayList<>();
    List<Double> epochs = new ArrayList<>();
    for (Seed s : seeds) {
      Optional<Round> last = s.finalRound();
      if (last.isEmpty() || Double.isNaN(s.floatAccuracy())) {
        continue;
      }
      deltas.add(s.deltaPp(last.get().accuracy()));
      first.add(s.deltaPp(s.rounds().get(0).accuracy()));
      epochs.add((double) s.epochsSpent());
    }
    if (deltas.isEmpty()) {
      return new Verdict(approved, seeds.size(), null, null, null, false);
    }
    Stats d = Stats.of(deltas);
    return new Verdict(
        approved, seeds.size(), d, Stats.of(first), Stats.of(epochs), d.median() >= -maxDropPp);
  }

  /**
   * The tables and verdict below the header.
   *
   * @param job {@link FleetReport#describe}'s line for the seeds' job
   * @param maxDropPp the bar, in percentage points
   * @param maxRounds the job's {@code maxRounds}
   * @param oneRoundEpochs QAT epochs of the one-round budget (quality.md's)
   */
  static String markdown(
      String job, List<Seed> seeds, double maxDropPp, int maxRounds, int oneRoundEpochs) {
    Verdict v = judge(seeds, maxDropPp);
    StringBuilder out = new StringBuilder();
    out.append("Job: ")
        .append(job)
        .append(
            String.format(
                Locale.ROOT,
                "; bar: accuracy drop ≤ %s pp against the float baseline (`\"thresholds\":"
                    + " {\"accuracy\": {\"maxAbsDrop\": %s}}`), no `maxBits`; one job per seed"
                    + " (%s), submitted at once to one fleet.%n%n",
                num(maxDropPp),
                num(maxDropPp / 100),
                seeds.stream()
                    .map(s -> Long.toString(s.seed()))
                    .collect(Collectors.joining(", "))));
    out.append("## Summary\n\n").append(summary(v, maxDropPp, maxRounds, oneRoundEpochs));
    out.append("\n## Per seed\n\n");
    int columns =
        Math.max(
            maxRounds,
            seeds.stream()
                .flatMap(s -> s.rounds().stream())
                .mapToInt(Round::round)
                .max()
                .orElse(0));
    List<String> header = new ArrayList<>(List.of("seed", "float accuracy", "round 0 (PTQ) Δ pp"));
    for (int r = 1; r <= columns; r++) {
      header.add("round " + r + " Δ pp");
    }
    header.addAll(List.of("outcome", "Δ pp at the final round", "QAT epochs spent"));
    MarkdownTable perSeed = new MarkdownTable(header.toArray(String[]::new));
    for (Seed s : seeds) {
      List<String> row = new ArrayList<>();
      row.add(Long.toString(s.seed()));
      row.add(Double.isNaN(s.floatAccuracy()) ? "—" : acc(s.floatAccuracy()));
      row.add(s.ptqAccuracy() == null ? "—" : delta(s.deltaPp(s.ptqAccuracy())));
      for (int r = 1; r <= columns; r++) {
        int round = r;
        row.add(
            s.rounds().stream()
                .filter(x -> x.round() == round)
                .findFirst()
                .map(x -> delta(s.deltaPp(x.accuracy())) + (x.passed() ? " ✓" : ""))
                .orElse("—"));
      }
      row.add(s.outcome());
      row.add(s.finalRound().map(x -> delta(s.deltaPp(x.accuracy()))).orElse("—"));
      row.add(s.finalRound().isEmpty() ? "—" : Integer.toString(s.epochsSpent()));
      perSeed.row(row.toArray(String[]::new));
    }
    out.append(perSeed.render()).append('\n');
    out.append("✓: the round met the bar.\n\n");
    out.append("## Per round\n\n");
    MarkdownTable perRound =
        new MarkdownTable(
            "seed",
            "round",
            "epochs (cumulative)",
            "learning rate",
            "distillation",
            "bits raised",
            "accuracy (float)",
            "Δ pp",
            "decision",
            "the remedy before the round");
    for (Seed s : seeds) {
      if (s.ptqAccuracy() != null) {
        perRound.row(
            Long.toString(s.seed()),
            "0 (PTQ)",
            "0 (0)",
            "—",
            "—",
            "—",
            acc(s.ptqAccuracy()) + " (" + acc(s.floatAccuracy()) + ")",
            delta(s.deltaPp(s.ptqAccuracy())),
            "reported beside",
            "post-training quantization of the float baseline");
      }
      for (Round r : s.rounds()) {
        perRound.row(
            Long.toString(s.seed()),
            Integer.toString(r.round()),
            r.epochs() + " (" + s.epochsThrough(r.round()) + ")",
            Double.isNaN(r.learningRate())
                ? "—"
                : String.format(Locale.ROOT, "%.2e", r.learningRate()),
            r.distillation() ? "on" : "off",
            r.raisedBits().isEmpty()
                ? "none"
                : r.raisedBits().entrySet().stream()
                    .map(e -> "layer " + e.getKey() + " → " + e.getValue())
                    .collect(Collectors.joining(", ")),
            acc(r.accuracy()) + " (" + acc(s.floatAccuracy()) + ")",
            delta(s.deltaPp(r.accuracy())),
            r.passed() ? "pass" : "miss",
            r.changes().isEmpty() ? "none: the job's spec" : String.join("; ", r.changes()));
      }
    }
    out.append(perRound.render()).append('\n');
    return out.toString();
  }

  private static String summary(Verdict v, double maxDropPp, int maxRounds, int oneRoundEpochs) {
    if (v.finalDelta() == null) {
      return String.format(
          Locale.ROOT,
          "No seed's job reached a validated QAT round (%d submitted): no verdict.%n",
          v.seeds());
    }
    return String.format(
        Locale.ROOT,
        "Passes within maxRounds %d on %d of %d seeds. Δ at the approving round (the last round"
            + " where none approved): median %s pp. Round 1 alone (the one-round budget, %d QAT"
            + " epoch%s): median %s pp. QAT epochs spent up to the final round: median %s, against"
            + " %d for the one-round budget.%n%n"
            + "Goal (W2A2 within %s pp of float within maxRounds %d; the median over seeds, as"
            + " quality.md judges its goals): **%s** (median %s pp).%n",
        maxRounds,
        v.approved(),
        v.seeds(),
        BenchReport.quote(v.finalDelta(), 2),
        oneRoundEpochs,
        oneRoundEpochs == 1 ? "" : "s",
        BenchReport.quote(v.round1Delta(), 2),
        BenchReport.quote(v.epochsSpent(), 0),
        oneRoundEpochs,
        num(maxDropPp),
        maxRounds,
        v.met() ? "met" : "missed",
        delta(v.finalDelta().median()));
  }

  private static String acc(double a) {
    return Double.isNaN(a) ? "—" : String.format(Locale.ROOT, "%.4f", a);
  }

  private static String delta(double pp) {
    return String.format(Locale.ROOT, "%+.2f", pp);
  }

  private static String num(double x) {
    String s = String.format(Locale.ROOT, "%.4f", x);
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }
}
