package io.qatfleet.cli.fleet;

import io.qatfleet.cli.report.MetricTables;
import io.qatfleet.cli.report.Table;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What happened to one job, reconstructed from its events: the outcome, the last validation, and
 * the wall time of every stage (from the event that started it to the event that ended it), so that
 * the rest of the job's time is transport, serialisation, queueing and start-up.
 */
public record JobSummary(
    String jobId,
    Optional<ModelApproved> approved,
    Optional<JobFailed> failed,
    List<ValidationCompleted> validations,
    Map<String, Duration> stageTimes,
    Duration total,
    List<RoundRow> rounds) {

  /** What the time per stage means. */
  public static final String STAGE_NOTE =
      "(A stage runs from the event that requested it to the event it published, so it includes"
          + " fetching its input over Kafka.)";

  /** Key of the float baseline in {@link #stageTimes()}. */
  public static final String BASELINE_STAGE = "baseline";

  /** Key of QAT round {@code round} in {@link #stageTimes()}. */
  public static String qatStage(int round) {
    return "qat round " + round;
  }

  /** Key of the quantizer's stage of round {@code round} in {@link #stageTimes()}. */
  public static String quantizeStage(int round) {
    return "quantize round " + round;
  }

  /** Key of the validator's stage of round {@code round} in {@link #stageTimes()}. */
  public static String validateStage(int round) {
    return "validate round " + round;
  }

  public static JobSummary of(String jobId, List<QatEvent> events) {
    Map<String, Instant> started = new LinkedHashMap<>();
    Map<String, Duration> times = new LinkedHashMap<>();
    List<ValidationCompleted> validations = new ArrayList<>();
    Optional<ModelApproved> approved = Optional.empty();
    Optional<JobFailed> failed = Optional.empty();
    Instant first = null;
    Instant last = null;
    for (QatEvent e : events) {
      if (e instanceof StatusUpdate) {
        continue;
      }
      first = first == null ? e.timestamp() : first;
      last = e.timestamp();
      if (e instanceof JobSubmitted) {
        started.put(BASELINE_STAGE, e.timestamp());
      } else if (e instanceof FloatCheckpointReady f && f.baseline()) {
        end(times, started, BASELINE_STAGE, e);
      } else if (e instanceof TrainRequested t) {
        started.put(qatStage(t.round()), e.timestamp());
      } else if (e instanceof RetrainRequested r) {
        started.put(qatStage(r.nextRound()), e.timestamp());
      } else if (e instanceof FloatCheckpointReady f) {
        end(times, started, qatStage(f.round()), e);
        started.put(quantizeStage(f.round()), e.timestamp());
      } else if (e instanceof QuantizedModelReady q) {
        end(times, started, quantizeStage(q.round()), e);
        started.put(validateStage(q.round()), e.timestamp());
      } else if (e instanceof ValidationCompleted v) {
        end(times, started, validateStage(v.round()), e);
        validations.add(v);
      } else if (e instanceof ModelApproved a) {
        approved = Optional.of(a);
      } else if (e instanceof JobFailed f) {
        failed = Optional.of(f);
      }
    }
    Duration total = first == null ? Duration.ZERO : Duration.between(first, last);
    return new JobSummary(jobId, approved, failed, validations, times, total, RoundRow.of(events));
  }

  private static void end(
      Map<String, Duration> times, Map<String, Instant> started, String stage, QatEvent e) {
    Instant t0 = started.get(stage);
    if (t0 != null) {
      times.put(stage, Duration.between(t0, e.timestamp()));
    }
  }

  public boolean finished() {
    return approved.isPresent() || failed.isPresent();
  }

  /**
   * Whether the validation behind an approval has been seen too: the approval and the round's
   * validation travel on different topics, so a tail may see the approval first.
   */
  public boolean approvalValidationSeen() {
    return approved.isEmpty()
        || validations.stream().anyMatch(v -> v.round() == approved.get().round());
  }

  /** The result table: float vs quantized, thresholds, agreement, rounds, stage times. */
  public String table() {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "job %s: %s%n%n", jobId, headline()));
    if (!validations.isEmpty()) {
      ValidationCompleted v = validations.get(validations.size() - 1);
      out.append(resultTable(v).markdown());
      notes(v).forEach(line -> out.append(System.lineSeparator()).append(line).append('\n'));
      out.append('\n').append(roundsTable().markdown());
      RoundRow.retrainingValue(rounds)
          .ifPresent(line -> out.append('\n').append(line).append('\n'));
    }
    out.append('\n').append(stageTable().markdown());
    out.append(String.format(Locale.ROOT, "%n%s%n", STAGE_NOTE));
    return out.toString();
  }

  /**
   * The outcome in a few words: approved as which version, failed why, or unfinished; after how
   * many QAT rounds, or, for a {@code ptq_first} job approved from round 0, that none ran.
   */
  public String headline() {
    boolean fromPtq = approved.isPresent() && approved.get().round() == 0;
    return String.format(
        Locale.ROOT,
        "%s %s, %.0f s",
        approved.isPresent()
            ? "APPROVED as " + approved.get().modelName() + " v" + approved.get().version()
            : failed.map(f -> "FAILED (" + f.reason() + ")").orElse("unfinished"),
        fromPtq
            ? "from post-training quantization (round 0), no QAT round"
            : "after " + validations.stream().filter(v -> v.round() > 0).count() + " round(s)",
        total.toMillis() / 1000.0);
  }

  /** The headline metrics of round {@code v}: float, quantized, change, threshold, pass. */
  public static Table resultTable(ValidationCompleted v) {
    List<List<String>> rows = new ArrayList<>();
    for (String metric : MetricTables.OVERALL) {
      Double f = v.floatMetrics().get(metric);
      Double q = v.quantizedMetrics().get(metric);
      if (f == null || q == null) {
        continue;
      }
      Optional<ThresholdResult> t =
          v.thresholdResults().stream().filter(r -> r.metric().equals(metric)).findFirst();
      rows.add(
          List.of(
              metric,
              String.format(Locale.ROOT, "%.4f", f),
              String.format(Locale.ROOT, "%.4f", q),
              String.format(Locale.ROOT, "%+.2f", 100 * (q - f)),
              t.map(r -> describe(r)).orElse("—"),
              t.map(r -> r.passed() ? "yes" : "NO").orElse("—")));
    }
    return new Table(List.of("metric", "float", "quantized", "Δ (pp)", "threshold", "pass"), rows);
  }

  /**
   * The lines under the result table: the bar it was judged by, the integer engine's agreement, how
   * ONNX Runtime measured it, the models' sizes (where known).
   */
  public static List<String> notes(ValidationCompleted v) {
    List<String> lines = new ArrayList<>();
    barLine(v).ifPresent(lines::add);
    lines.add(
        String.format(
            Locale.ROOT,
            "int vs fake-quant agreement: %.2f %% (round %d)",
            100 * v.agreement(),
            v.round()));
    onnxLine(v).ifPresent(lines::add);
    sizeLine(v).ifPresent(lines::add);
    return lines;
  }

  /**
   * One row per validated round (round 0: post-training quantization): epochs, accuracies, the
   * change against the round before, agreement, CPU-seconds, decision, and the remedy that started
   * it.
   */
  public Table roundsTable() {
    List<List<String>> rows = new ArrayList<>();
    for (RoundRow r : rounds) {
      ValidationCompleted v =
          validations.stream().filter(x -> x.round() == r.round()).findFirst().orElseThrow();
      rows.add(
          List.of(
              Integer.toString(r.round()),
              r.kind(),
              r.epochsCell(),
              MetricTables.number(v.floatMetrics().get("accuracy")),
              MetricTables.number(v.quantizedMetrics().get("accuracy")),
              r.deltaCell(),
              MetricTables.number(v.agreement()),
              r.cpuCell(),
              v.decision().name(),
              r.remedyCell()));
    }
    return new Table(
        List.of(
            "round",
            "kind",
            "epochs",
            "float accuracy",
            "quantized accuracy",
            "Δ vs previous (pp)",
            "agreement",
            "CPU-s",
            "decision",
            "remedy"),
        rows);
  }

  /** Seconds per stage, the time between stages, and the total. */
  public Table stageTable() {
    List<List<String>> rows = new ArrayList<>();
    long staged = 0;
    for (Map.Entry<String, Duration> e : stageTimes.entrySet()) {
      staged += e.getValue().toMillis();
      rows.add(List.of(e.getKey(), seconds(e.getValue().toMillis())));
    }
    rows.add(List.of("between stages", seconds(Math.max(0, total.toMillis() - staged))));
    rows.add(List.of("total", seconds(total.toMillis())));
    return new Table(List.of("stage", "seconds"), rows);
  }

  private static String seconds(long millis) {
    return String.format(Locale.ROOT, "%.1f", millis / 1000.0);
  }

  /**
   * How the quantized metrics were measured when the round's ONNX model ran in ONNX Runtime: its
   * agreement with the integer engine and the engine's accuracy on the reference images; empty for
   * a round validated by the integer engine alone.
   */
  public static Optional<String> onnxLine(ValidationCompleted v) {
    Map<String, Double> q = v.quantizedMetrics();
    Double agreement = q.get("onnxAgreement");
    if (agreement == null) {
      return Optional.empty();
    }
    return Optional.of(
        String.format(
            Locale.ROOT,
            "quantized = model.onnx in ONNX Runtime on %.0f test images (%.1f s); ONNX Runtime vs"
                + " integer engine agreement: %.2f %%, integer engine accuracy %.4f (reference, on"
                + " the first %.0f images, %.1f s)",
            q.getOrDefault("testSamples", Double.NaN),
            q.getOrDefault("onnxEvaluationSeconds", Double.NaN),
            100 * agreement,
            q.getOrDefault("integerAccuracy", Double.NaN),
            q.getOrDefault("referenceSamples", Double.NaN),
            q.getOrDefault("referenceEvaluationSeconds", Double.NaN)));
  }

  /** The files' sizes: float checkpoint, integer checkpoint and, where there is one, ONNX. */
  public static Optional<String> sizeLine(ValidationCompleted v) {
    Double floatBytes = v.floatMetrics().get("modelBytes");
    Double intBytes = v.quantizedMetrics().get("modelBytes");
    if (floatBytes == null || intBytes == null) {
      return Optional.empty();
    }
    Double onnxBytes = v.quantizedMetrics().get("onnxModelBytes");
    return Optional.of(
        String.format(
            Locale.ROOT,
            "model size: float %.1f KiB, integer %.1f KiB (%.1f× smaller)%s",
            floatBytes / 1024,
            intBytes / 1024,
            floatBytes / intBytes,
            onnxBytes == null
                ? ""
                : String.format(Locale.ROOT, ", model.onnx %.1f KiB", onnxBytes / 1024)));
  }

  /**
   * Which bar a round was judged by, in words; empty for a report written before reports said so.
   */
  public static Optional<String> barLine(ValidationCompleted v) {
    if (v.thresholdSource() == null) {
      return Optional.empty();
    }
    return Optional.of(
        switch (v.thresholdSource()) {
          case SPEC -> "bar: the job spec's thresholds";
          case DEFAULT ->
              "bar: the validator's default (qat.default-thresholds), because the job spec names"
                  + " no threshold";
        });
  }

  private static String describe(ThresholdResult r) {
    List<String> parts = new ArrayList<>();
    if (r.threshold().min() != null) {
      parts.add(String.format(Locale.ROOT, "≥ %.3f", r.threshold().min()));
    }
    if (r.threshold().maxAbsDrop() != null) {
      parts.add(String.format(Locale.ROOT, "drop ≤ %.1f pp", 100 * r.threshold().maxAbsDrop()));
    }
    if (r.threshold().maxRelDrop() != null) {
      parts.add(
          String.format(Locale.ROOT, "rel. drop ≤ %.1f %%", 100 * r.threshold().maxRelDrop()));
    }
    return String.join(", ", parts);
  }
}
