package io.qatfleet.cli.fleet;

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

/**
 * One validated round of a job as the progress output and every report show it, built once from the
 * job's events: round 0 is post-training quantization, rounds from 1 QAT. Carries what the round
 * was asked to change (the remedy of the send-back that started it) and its effect (accuracy
 * against the round before), and the CPU-seconds its stages reported.
 *
 * @param epochs QAT epochs the round was asked for (0 for post-training quantization); null when
 *     the request was not seen
 * @param accuracy the quantized model's accuracy
 * @param deltaPp accuracy against the previous validated round, in points; null for the first
 * @param cpuSeconds training + quantization + evaluation CPU-seconds; null when the stages did not
 *     report them
 * @param remedy the changes of the send-back that started this round; empty for round 1 of a job
 *     (and for round 0), or for a send-back written before remedies
 */
public record RoundRow(
    int round,
    Integer epochs,
    double accuracy,
    Double deltaPp,
    Double cpuSeconds,
    String decision,
    List<String> remedy) {

  private static final String ACCURACY = "accuracy";

  /** The rows of every validated round, by round number. */
  public static List<RoundRow> of(List<QatEvent> events) {
    Map<Integer, Integer> epochs = new TreeMap<>();
    Map<Integer, List<String>> remedies = new TreeMap<>();
    Map<Integer, ValidationCompleted> validations = new TreeMap<>();
    for (QatEvent e : events) {
      if (e instanceof TrainRequested t) {
        epochs.put(t.round(), t.epochs());
      } else if (e instanceof RetrainRequested r) {
        epochs.put(r.nextRound(), r.epochs());
        Remedy remedy = r.remedy();
        remedies.put(r.nextRound(), remedy == null ? List.of() : remedy.changes());
      } else if (e instanceof ValidationCompleted v) {
        validations.putIfAbsent(v.round(), v);
      }
    }
    epochs.put(0, 0);
    List<RoundRow> out = new ArrayList<>();
    Double previous = null;
    for (ValidationCompleted v : validations.values()) {
      double accuracy = v.quantizedMetrics().getOrDefault(ACCURACY, Double.NaN);
      out.add(
          new RoundRow(
              v.round(),
              epochs.get(v.round()),
              accuracy,
              previous == null ? null : 100 * (accuracy - previous),
              cpuSeconds(v.quantizedMetrics()),
              v.decision().name().toLowerCase(Locale.ROOT),
              remedies.getOrDefault(v.round(), List.of())));
      previous = accuracy;
    }
    return out;
  }

  private static Double cpuSeconds(Map<String, Double> metrics) {
    Double training = metrics.get(ValidationCompleted.TRAINING_CPU_SECONDS);
    Double quantization = metrics.get(ValidationCompleted.QUANTIZATION_CPU_SECONDS);
    Double evaluation = metrics.get(ValidationCompleted.EVALUATION_CPU_SECONDS);
    if (training == null || quantization == null || evaluation == null) {
      return null;
    }
    return training + quantization + evaluation;
  }

  /** "PTQ" for round 0, "QAT" otherwise. */
  public String kind() {
    return round == 0 ? "PTQ" : "QAT";
  }

  /** Epochs as a table cell: the number, or "—". */
  public String epochsCell() {
    return epochs == null ? "—" : epochs.toString();
  }

  /** The change against the previous round as a table cell: "+1.50", or "—". */
  public String deltaCell() {
    return deltaPp == null ? "—" : String.format(Locale.ROOT, "%+.2f", deltaPp);
  }

  /** CPU-seconds as a table cell: "13.0", or "—". */
  public String cpuCell() {
    return cpuSeconds == null ? "—" : String.format(Locale.ROOT, "%.1f", cpuSeconds);
  }

  /** The remedy as one cell: its changes joined by "; ", or "—". */
  public String remedyCell() {
    return remedy.isEmpty() ? "—" : String.join("; ", remedy);
  }

  /** What a send-back's remedy did: "accuracy +2.31 pp (0.7012 → 0.7243)"; empty without one. */
  public Optional<String> effect() {
    if (remedy.isEmpty() || deltaPp == null) {
      return Optional.empty();
    }
    return Optional.of(
        String.format(
            Locale.ROOT,
            "accuracy %+.2f pp (%.4f → %.4f)",
            deltaPp,
            accuracy - deltaPp / 100,
            accuracy));
  }

  /**
   * What retraining bought over post-training quantization and what it cost: the last QAT round's
   * accuracy against round 0's in points, for the CPU-seconds of every QAT round; empty unless both
   * were validated.
   */
  public static Optional<String> retrainingValue(List<RoundRow> rows) {
    Optional<RoundRow> ptq = rows.stream().filter(r -> r.round() == 0).findFirst();
    List<RoundRow> qat = rows.stream().filter(r -> r.round() > 0).toList();
    if (ptq.isEmpty() || qat.isEmpty()) {
      return Optional.empty();
    }
    RoundRow last = qat.get(qat.size() - 1);
    boolean costed = qat.stream().allMatch(r -> r.cpuSeconds() != null);
    double cost = qat.stream().mapToDouble(r -> r.cpuSeconds() == null ? 0 : r.cpuSeconds()).sum();
    return Optional.of(
        String.format(
            Locale.ROOT,
            "post-training quantization (round 0): accuracy %.4f%s; QAT (%d round(s), last round"
                + " %d): %.4f. Retraining bought %+.2f pp %s",
            ptq.get().accuracy(),
            ptq.get().cpuSeconds() == null
                ? ""
                : String.format(Locale.ROOT, " for %.1f CPU-s", ptq.get().cpuSeconds()),
            qat.size(),
            last.round(),
            last.accuracy(),
            100 * (last.accuracy() - ptq.get().accuracy()),
            costed
                ? String.format(Locale.ROOT, "for %.1f CPU-s.", cost)
                : "(CPU-seconds not reported by every stage)."));
  }
}
