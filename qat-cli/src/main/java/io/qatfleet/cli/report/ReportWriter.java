package io.qatfleet.cli.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qatfleet.cli.fleet.EventTail;
import io.qatfleet.cli.fleet.JobSummary;
import io.qatfleet.cli.fleet.RoundRow;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.core.json.Json;
import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.core.quant.QuantizationBudget;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.ThresholdResult;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.event.ValidationCompleted;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Writes what a person looks at after a job, under the job's directory: {@code report.json} (the
 * spec, the outcome, every round's training losses, metrics, thresholds, agreement and decision,
 * stage times, model sizes, and every event as it crossed the broker), and the same {@link
 * Section}s twice: {@code report.md} (tables in Markdown) and a self-contained {@code report.html}
 * (inline CSS, the tables, the charts of {@link ReportCharts} as base64 PNGs). Classes are named as
 * the job's dataset names them ({@link MetricTables#classNames}). It consumes nothing but the job's
 * events, so the same report can be rebuilt from a recorded topic.
 */
public final class ReportWriter {

  public static final String JSON = "report.json";
  public static final String MARKDOWN = "report.md";
  public static final String HTML = "report.html";

  private static final String MODEL_BYTES = "modelBytes";
  private static final String ACCURACY = "accuracy";

  private final EventCodec codec = new EventCodec();

  /** Writes the three files into {@code dir} (created if absent) and returns their paths. */
  public List<Path> write(Path dir, String jobId, List<EventTail.Seen> seen) throws IOException {
    List<QatEvent> events = seen.stream().map(EventTail.Seen::event).toList();
    JobSummary summary = JobSummary.of(jobId, events);
    Files.createDirectories(dir);
    Path json = dir.resolve(JSON);
    Path markdown = dir.resolve(MARKDOWN);
    Path html = dir.resolve(HTML);
    Files.writeString(
        json,
        Json.MAPPER
            .writerWithDefaultPrettyPrinter()
            .writeValueAsString(json(jobId, seen, events, summary)));
    List<Section> sections = sections(events, summary);
    Files.writeString(markdown, markdown(jobId, summary, sections));
    Files.writeString(html, html(jobId, events, summary, sections));
    return List.of(json, markdown, html);
  }

  private ObjectNode json(
      String jobId, List<EventTail.Seen> seen, List<QatEvent> events, JobSummary summary)
      throws IOException {
    ObjectNode report = Json.MAPPER.createObjectNode();
    report.put("jobId", jobId);
    spec(events)
        .ifPresentOrElse(
            s -> report.set("spec", Json.MAPPER.valueToTree(s)), () -> report.putNull("spec"));
    ObjectNode outcome = report.putObject("outcome");
    outcome.put("status", status(summary));
    summary
        .approved()
        .ifPresent(
            a -> {
              outcome.put("modelName", a.modelName());
              outcome.put("version", a.version());
              outcome.put("round", a.round());
              outcome.put("checkpointSha256", a.checkpoint().sha256());
              outcome.set("thresholds", Json.MAPPER.valueToTree(a.thresholds()));
              outcome.set("thresholdSource", Json.MAPPER.valueToTree(a.thresholdSource()));
              outcome.put("keyId", a.keyId());
              outcome.put("signature", a.signature());
            });
    summary
        .failed()
        .ifPresent(
            f -> {
              outcome.put("reason", f.reason());
              if (f.bestRound() != null) {
                outcome.put("bestRound", f.bestRound());
              }
            });
    report.set("classNames", Json.MAPPER.valueToTree(classNames(events)));
    report.put("roundsUsed", summary.validations().size());
    report.put("totalSeconds", summary.total().toMillis() / 1000.0);

    Map<String, List<double[]>> curves = lossCurves(events);
    ObjectNode baseline = report.putObject("baseline");
    baseline.set("loss", points(curves.getOrDefault(curveName("baseline", 0), List.of())));
    Map<Integer, RoundRow> rows = new TreeMap<>();
    summary.rounds().forEach(row -> rows.put(row.round(), row));
    ArrayNode rounds = report.putArray("rounds");
    for (ValidationCompleted v : summary.validations()) {
      ObjectNode r = rounds.addObject();
      r.put("round", v.round());
      RoundRow row = rows.get(v.round());
      if (row != null && row.epochs() != null) {
        r.put("epochs", row.epochs());
      }
      ObjectNode loss = r.putObject("loss");
      curves.forEach(
          (name, pts) -> {
            if (name.endsWith(" round " + v.round())) {
              loss.set(name.substring(0, name.indexOf(" round ")), points(pts));
            }
          });
      r.set("floatMetrics", Json.MAPPER.valueToTree(v.floatMetrics()));
      r.set("quantizedMetrics", Json.MAPPER.valueToTree(v.quantizedMetrics()));
      r.set("thresholdSource", Json.MAPPER.valueToTree(v.thresholdSource()));
      ArrayNode thresholds = r.putArray("thresholds");
      for (ThresholdResult t : v.thresholdResults()) {
        ObjectNode o = thresholds.addObject();
        o.put("metric", t.metric());
        o.set("threshold", Json.MAPPER.valueToTree(t.threshold()));
        o.put("float", t.floatValue());
        o.put("quantized", t.quantizedValue());
        o.put("deltaPp", 100 * (t.quantizedValue() - t.floatValue()));
        o.put("passed", t.passed());
      }
      r.put("agreement", v.agreement());
      r.put("decision", v.decision().name());
      if (row != null) {
        r.set("remedy", Json.MAPPER.valueToTree(row.remedy()));
        if (row.cpuSeconds() != null) {
          r.put("cpuSeconds", row.cpuSeconds());
        }
      }
      r.set("floatConfusion", Json.MAPPER.valueToTree(v.floatConfusion()));
      r.set("quantizedConfusion", Json.MAPPER.valueToTree(v.quantizedConfusion()));
      if (v.sensitivity() != null) {
        r.set("sensitivity", Json.MAPPER.valueToTree(v.sensitivity()));
      }
    }
    RoundRow.retrainingValue(summary.rounds()).ifPresent(line -> report.put("retraining", line));
    ObjectNode stages = report.putObject("stageSeconds");
    summary.stageTimes().forEach((k, d) -> stages.put(k, d.toMillis() / 1000.0));
    ObjectNode sizes = report.putObject("modelBytes");
    last(summary)
        .ifPresent(
            v -> {
              Optional.ofNullable(v.floatMetrics().get(MODEL_BYTES))
                  .ifPresent(b -> sizes.put("float", b.longValue()));
              Optional.ofNullable(v.quantizedMetrics().get(MODEL_BYTES))
                  .ifPresent(b -> sizes.put("quantized", b.longValue()));
              Optional.ofNullable(v.quantizedMetrics().get("onnxModelBytes"))
                  .ifPresent(b -> sizes.put("onnx", b.longValue()));
            });
    ArrayNode all = report.putArray("events");
    for (EventTail.Seen s : seen) {
      ObjectNode e = (ObjectNode) Json.MAPPER.readTree(codec.encode(s.event()));
      e.put("topic", s.topic());
      all.add(e);
    }
    return report;
  }

  private static String status(JobSummary summary) {
    return summary.approved().isPresent()
        ? "APPROVED"
        : summary.failed().isPresent() ? "FAILED" : "UNFINISHED";
  }

  private static Optional<JobSpec> spec(List<QatEvent> events) {
    for (QatEvent e : events) {
      if (e instanceof JobSubmitted s) {
        return Optional.of(s.spec());
      }
      if (e instanceof TrainRequested t) {
        return Optional.of(t.spec());
      }
    }
    return Optional.empty();
  }

  /**
   * The weight bits the trainer chose for an automatic spec ({@code "weightBits": "auto"}), from
   * the spec the QAT rounds ran under; empty for fixed bits or before the choice.
   */
  static Optional<String> chosenBits(List<QatEvent> events) {
    Optional<String> out = Optional.empty();
    for (QatEvent e : events) {
      if (e instanceof TrainRequested t) {
        QuantizationSpec q = t.spec().quantization();
        int n = t.spec().model().layerCount();
        if (q.autoBits() && q.resolved(n)) {
          List<String> bits = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            bits.add(String.valueOf(q.layers().get(Integer.toString(i)).weightBits()));
          }
          out =
              Optional.of(
                  "weight bits per layer, chosen by \"auto\" within "
                      + budget(q.budget())
                      + ": "
                      + String.join(", ", bits));
        }
      }
    }
    return out;
  }

  private static String budget(QuantizationBudget b) {
    List<String> parts = new ArrayList<>();
    if (b.sizeKiB() != null) {
      parts.add(String.format(Locale.ROOT, "%.2f KiB", b.sizeKiB()));
    }
    if (b.bitOps() != null) {
      parts.add(String.format(Locale.ROOT, "%.4g bit-operations", b.bitOps()));
    }
    return String.join(" and ", parts);
  }

  private static Optional<ValidationCompleted> last(JobSummary summary) {
    List<ValidationCompleted> v = summary.validations();
    return v.isEmpty() ? Optional.empty() : Optional.of(v.get(v.size() - 1));
  }

  static String curveName(String stage, int round) {
    return stage + " round " + round;
  }

  /**
   * The training loss reported in status updates, per (stage, round), as (fractional epoch, loss):
   * a stage's progress runs over all its epochs, so progress × the last epoch reported is the epoch
   * at which the loss was measured.
   */
  static Map<String, List<double[]>> lossCurves(List<QatEvent> events) {
    Map<String, List<StatusUpdate>> byRun = new LinkedHashMap<>();
    for (QatEvent e : events) {
      if (e instanceof StatusUpdate s && s.loss() != null && s.epoch() != null) {
        byRun.computeIfAbsent(curveName(s.stage(), s.round()), k -> new ArrayList<>()).add(s);
      }
    }
    Map<String, List<double[]>> out = new LinkedHashMap<>();
    byRun.forEach(
        (name, updates) -> {
          int epochs = updates.stream().mapToInt(StatusUpdate::epoch).max().orElse(1);
          out.put(
              name,
              updates.stream().map(s -> new double[] {s.progress() * epochs, s.loss()}).toList());
        });
    return out;
  }

  private static ArrayNode points(List<double[]> pts) {
    ArrayNode a = Json.MAPPER.createArrayNode();
    for (double[] p : pts) {
      a.addObject().put("epoch", p[0]).put("loss", p[1]);
    }
    return a;
  }

  /**
   * The accuracy a round had to reach: the highest of the threshold's minimum, float − maxAbsDrop,
   * and float × (1 − maxRelDrop); NaN without an accuracy threshold.
   */
  static double accuracyBar(MetricThreshold t, double floatAccuracy) {
    if (t == null) {
      return Double.NaN;
    }
    double bar = Double.NEGATIVE_INFINITY;
    if (t.min() != null) {
      bar = Math.max(bar, t.min());
    }
    if (t.maxAbsDrop() != null) {
      bar = Math.max(bar, floatAccuracy - t.maxAbsDrop());
    }
    if (t.maxRelDrop() != null) {
      bar = Math.max(bar, floatAccuracy * (1 - t.maxRelDrop()));
    }
    return Double.isFinite(bar) ? bar : Double.NaN;
  }

  /**
   * A part of the report: a title, lines of text, a table and a chart, each optional. Both
   * renderings walk the same list, so a section added to {@link #sections} shows in both.
   */
  record Section(String title, List<String> notes, Table table, byte[] chart, String chartAlt) {
    static Section table(String title, Table table, List<String> notes) {
      return new Section(title, notes, table, null, null);
    }

    static Section chart(String title, String alt, byte[] png) {
      return new Section(title, List.of(), null, png, alt);
    }
  }

  /**
   * The job's class names by label: as the validator recorded them (any dataset, by name or by
   * reference), else as this build knows them for the spec's named dataset, else none.
   */
  static List<String> classNames(List<QatEvent> events) {
    List<String> recorded = null;
    for (QatEvent e : events) {
      if (e instanceof ValidationCompleted v && v.classNames() != null) {
        recorded = v.classNames();
      }
    }
    if (recorded != null) {
      return recorded;
    }
    return spec(events).map(s -> MetricTables.classNames(s.data().dataset())).orElse(List.of());
  }

  /** The report's sections, in reading order. */
  static List<Section> sections(List<QatEvent> events, JobSummary summary) {
    List<Section> out = new ArrayList<>();
    chosenBits(events)
        .ifPresent(line -> out.add(new Section("Weight bits", List.of(line), null, null, null)));
    List<String> classNames = classNames(events);
    Optional<ValidationCompleted> last = last(summary);
    last.ifPresent(
        v ->
            out.add(
                Section.table(
                    "Result (round " + v.round() + ")",
                    JobSummary.resultTable(v),
                    JobSummary.notes(v))));
    out.add(
        Section.table(
            "Rounds",
            summary.roundsTable(),
            RoundRow.retrainingValue(summary.rounds()).stream().toList()));
    last.ifPresent(
        v ->
            out.add(
                Section.table(
                    "Per class (round " + v.round() + "), float vs quantized",
                    MetricTables.perClass(v.floatMetrics(), v.quantizedMetrics(), classNames),
                    List.of())));
    out.add(
        Section.chart(
            "Training loss",
            "training loss per epoch of the job, baseline then each round",
            ReportCharts.loss(continuous(lossCurves(events)))));
    out.add(accuracySection(summary));
    out.add(
        last.map(
                v ->
                    Section.chart(
                        "Confusion matrices (round " + v.round() + ")",
                        "confusion matrices float vs quantized",
                        ReportCharts.confusions(
                            v.floatConfusion(), v.quantizedConfusion(), classNames)))
            .orElse(
                new Section(
                    "Confusion matrices", List.of("No round was validated."), null, null, null)));
    last.filter(v -> v.sensitivity() != null && !v.sensitivity().isEmpty())
        .ifPresent(
            v ->
                out.add(
                    new Section(
                        "Per-layer sensitivity (round " + v.round() + ")",
                        List.of(SENSITIVITY_NOTE),
                        sensitivityTable(v.sensitivity()),
                        ReportCharts.sensitivity(v.sensitivity()),
                        "per-layer sensitivity")));
    out.add(Section.table("Time per stage", summary.stageTable(), List.of(JobSummary.STAGE_NOTE)));
    return out;
  }

  static final String SENSITIVITY_NOTE =
      "Each layer alone quantized at the weight bits it ran with (the rest of the model float), on"
          + " the calibration split: the drop in accuracy and the rise in loss it causes.";

  /** One row per layer: index, name, weight bits, accuracy drop in pp, loss increase. */
  static Table sensitivityTable(List<LayerSensitivity> layers) {
    List<List<String>> rows = new ArrayList<>();
    for (LayerSensitivity l : layers) {
      rows.add(
          List.of(
              Integer.toString(l.layer()),
              l.name(),
              Integer.toString(l.bits()),
              String.format(Locale.ROOT, "%.2f", 100 * l.accuracyDrop()),
              String.format(Locale.ROOT, "%+.4f", l.lossIncrease())));
    }
    return new Table(
        List.of("layer", "name", "weight bits", "accuracy drop (pp)", "loss increase"), rows);
  }

  private static Section accuracySection(JobSummary summary) {
    List<double[]> acc = new ArrayList<>();
    double floatAccuracy = Double.NaN;
    double bar = Double.NaN;
    for (ValidationCompleted v : summary.validations()) {
      Double q = v.quantizedMetrics().get(ACCURACY);
      if (q != null) {
        acc.add(new double[] {v.round(), q});
      }
      floatAccuracy = v.floatMetrics().getOrDefault(ACCURACY, Double.NaN);
      Optional<ThresholdResult> t =
          v.thresholdResults().stream().filter(r -> r.metric().equals(ACCURACY)).findFirst();
      bar = accuracyBar(t.map(ThresholdResult::threshold).orElse(null), floatAccuracy);
    }
    return Section.chart(
        "Accuracy per round",
        "quantized accuracy per round",
        ReportCharts.accuracy(acc, floatAccuracy, bar));
  }

  /**
   * The training runs on one epoch axis: each run (baseline, then each round) starts at the epoch
   * where the run before it ended.
   */
  static Map<String, List<double[]>> continuous(Map<String, List<double[]>> curves) {
    Map<String, List<double[]>> out = new LinkedHashMap<>();
    double offset = 0;
    for (Map.Entry<String, List<double[]>> e : curves.entrySet()) {
      double start = offset;
      List<double[]> shifted =
          e.getValue().stream().map(p -> new double[] {start + p[0], p[1]}).toList();
      out.put(e.getKey(), shifted);
      offset = shifted.stream().mapToDouble(p -> p[0]).max().orElse(offset);
    }
    return out;
  }

  private static String markdown(String jobId, JobSummary summary, List<Section> sections) {
    StringBuilder m = new StringBuilder();
    m.append("# Job ").append(jobId).append("\n\n").append(summary.headline()).append("\n");
    for (Section s : sections) {
      if (s.table() == null && s.notes().isEmpty()) {
        continue; // a chart: report.html has it
      }
      m.append("\n## ").append(s.title()).append("\n\n");
      if (s.table() != null) {
        m.append(s.table().markdown());
      }
      s.notes().forEach(line -> m.append('\n').append(line).append('\n'));
    }
    return m.toString();
  }

  private String html(
      String jobId, List<QatEvent> events, JobSummary summary, List<Section> sections)
      throws IOException {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>qat-fleet report ")
        .append(esc(jobId))
        .append("</title><style>")
        .append(
            "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}"
                + "table{border-collapse:collapse;margin:1em 0}"
                + "td,th{border:1px solid #ccc;padding:.3em .7em;text-align:right}"
                + "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
                + "img{max-width:100%;border:1px solid #eee;margin:.5em 0}"
                + "pre{background:#f6f6f6;padding:.7em;overflow-x:auto}"
                + "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}")
        .append("</style></head><body>\n");
    h.append("<h1>Job ").append(esc(jobId)).append("</h1>\n<p>");
    Optional<JobSpec> spec = spec(events);
    spec.ifPresent(s -> h.append("<b>").append(esc(s.name())).append("</b>: "));
    h.append("<b>").append(esc(outcome(summary))).append("</b>, ");
    h.append(summary.validations().size()).append(" round(s), ");
    h.append(String.format(Locale.ROOT, "%.1f s", summary.total().toMillis() / 1000.0));
    h.append("</p>\n");
    if (spec.isPresent()) {
      h.append("<details><summary>Job spec</summary><pre>")
          .append(esc(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(spec.get())))
          .append("</pre></details>\n");
    }
    for (Section s : sections) {
      h.append("<h2>").append(esc(s.title())).append("</h2>\n");
      if (s.table() != null) {
        h.append(s.table().html());
      }
      s.notes().forEach(line -> h.append("<p>").append(esc(line)).append("</p>\n"));
      if (s.chart() != null) {
        img(h, s.chartAlt(), s.chart());
      }
    }
    h.append("</body></html>\n");
    return h.toString();
  }

  private static String outcome(JobSummary summary) {
    return summary
        .approved()
        .map(
            a -> "APPROVED as " + a.modelName() + " v" + a.version() + " (round " + a.round() + ")")
        .orElseGet(() -> summary.failed().map(f -> "FAILED: " + f.reason()).orElse("unfinished"));
  }

  static String describe(MetricThreshold t) {
    List<String> parts = new ArrayList<>();
    if (t.min() != null) {
      parts.add(String.format(Locale.ROOT, "≥ %.3f", t.min()));
    }
    if (t.maxAbsDrop() != null) {
      parts.add(String.format(Locale.ROOT, "drop ≤ %.1f pp", 100 * t.maxAbsDrop()));
    }
    if (t.maxRelDrop() != null) {
      parts.add(String.format(Locale.ROOT, "rel. drop ≤ %.1f %%", 100 * t.maxRelDrop()));
    }
    return String.join(", ", parts);
  }

  private static void img(StringBuilder h, String alt, byte[] png) {
    h.append("<img alt=\"")
        .append(esc(alt))
        .append("\" src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(png))
        .append("\">\n");
  }

  private static String esc(String s) {
    return Table.escapeHtml(s);
  }
}
