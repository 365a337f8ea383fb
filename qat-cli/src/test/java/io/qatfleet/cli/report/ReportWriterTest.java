package io.qatfleet.cli.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.cli.fleet.EventTail;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.core.json.Json;
import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.core.quant.QuantizationBudget;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.Distillation;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.event.Decision;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.Remedy;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.ThresholdResult;
import io.qatfleet.messaging.event.ThresholdSource;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.event.ValidationCompleted;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {

  private static final String JOB = "job-report";
  private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
  private static final CheckpointRef REF = CheckpointRef.of(new byte[] {1});
  private static final JobSpec SPEC = JobSpec.fromJson("{\"name\": \"m\"}");
  private static final MetricThreshold ACCURACY_BAR = new MetricThreshold(null, 0.01, null);
  private static final List<List<Integer>> FLOAT_CONFUSION =
      List.of(List.of(46, 4), List.of(6, 44));

  @TempDir Path dir;

  private static Instant at(int seconds) {
    return T0.plusSeconds(seconds);
  }

  private static StatusUpdate loss(
      int s, String stage, int round, double progress, int epoch, double loss) {
    return new StatusUpdate(
        QatEvent.newEventId(), JOB, round, null, at(s), stage, progress, "", epoch, loss, 100.0);
  }

  private static ValidationCompleted validation(
      int s, int round, double quantized, boolean passed, List<List<Integer>> confusion) {
    return new ValidationCompleted(
        QatEvent.newEventId(),
        JOB,
        round,
        REF,
        at(s),
        withPerClass(Map.of("accuracy", 0.90, "modelBytes", 4000.0), 0.5),
        withPerClass(Map.of("accuracy", quantized, "modelBytes", 1100.0), 0.25),
        List.of(new ThresholdResult("accuracy", ACCURACY_BAR, 0.90, quantized, passed)),
        0.99,
        passed ? Decision.PASS : Decision.RETRAIN,
        FLOAT_CONFUSION,
        confusion,
        ThresholdSource.SPEC);
  }

  /**
   * Per-class metrics for two classes: class 0 has precision {@code p}, recall {@code 2p} and F1
   * {@code 3p}; class 1 has 1.0 everywhere.
   */
  private static Map<String, Double> withPerClass(Map<String, Double> overall, double p) {
    Map<String, Double> m = new java.util.HashMap<>(overall);
    m.putAll(
        Map.of(
            "precision.0",
            p,
            "recall.0",
            2 * p,
            "f1.0",
            3 * p,
            "precision.1",
            1.0,
            "recall.1",
            1.0,
            "f1.1",
            1.0));
    return m;
  }

  /** Round 1 drops 2 pp (bar: 1 pp) and is retrained with 2 epochs; round 2 drops 0.5 pp. */
  private static List<EventTail.Seen> twoRounds() {
    List<QatEvent> events =
        List.of(
            new JobSubmitted(QatEvent.newEventId(), JOB, 0, null, at(0), SPEC),
            loss(10, "baseline", 0, 0.5, 1, 0.9),
            loss(20, "baseline", 0, 1.0, 2, 0.5),
            new FloatCheckpointReady(
                QatEvent.newEventId(), JOB, 0, REF, at(30), SPEC, true, Map.of()),
            new TrainRequested(
                QatEvent.newEventId(), JOB, 1, REF, at(31), SPEC, "first", 1, 1e-3, REF),
            loss(40, "qat", 1, 1.0, 1, 0.4),
            new FloatCheckpointReady(
                QatEvent.newEventId(), JOB, 1, REF, at(41), SPEC, false, Map.of()),
            new QuantizedModelReady(
                QatEvent.newEventId(), JOB, 1, REF, at(45), SPEC, REF, Map.of()),
            validation(50, 1, 0.88, false, List.of(List.of(45, 5), List.of(7, 43))),
            new RetrainRequested(
                QatEvent.newEventId(), JOB, 1, REF, at(51), SPEC, "drop", 2, 2, 1e-3),
            loss(60, "qat", 2, 0.5, 1, 0.35),
            loss(70, "qat", 2, 1.0, 2, 0.3),
            new FloatCheckpointReady(
                QatEvent.newEventId(), JOB, 2, REF, at(71), SPEC, false, Map.of()),
            new QuantizedModelReady(
                QatEvent.newEventId(), JOB, 2, REF, at(75), SPEC, REF, Map.of()),
            validation(80, 2, 0.895, true, List.of(List.of(46, 4), List.of(6, 44))),
            new ModelApproved(
                QatEvent.newEventId(), JOB, 2, REF, at(81), "m", 1, Map.of(), SPEC, REF));
    List<EventTail.Seen> seen = new ArrayList<>();
    for (QatEvent e : events) {
      seen.add(new EventTail.Seen("qat.status", JOB, e));
    }
    return seen;
  }

  @Test
  void writesRoundsDecisionsAndMetricsToJson() throws Exception {
    new ReportWriter().write(dir, JOB, twoRounds());

    JsonNode report = Json.MAPPER.readTree(dir.resolve(ReportWriter.JSON).toFile());
    assertThat(report.get("jobId").asText()).isEqualTo(JOB);
    assertThat(report.get("spec").get("name").asText()).isEqualTo("m");
    assertThat(report.get("outcome").get("status").asText()).isEqualTo("APPROVED");
    assertThat(report.get("roundsUsed").asInt()).isEqualTo(2);
    assertThat(report.get("totalSeconds").asDouble()).isEqualTo(81.0);
    // baseline: progress 0.5 and 1.0 of 2 epochs are epochs 1 and 2
    assertThat(report.get("baseline").get("loss").findValuesAsText("epoch"))
        .containsExactly("1.0", "2.0");
    assertThat(report.get("baseline").get("loss").findValuesAsText("loss"))
        .containsExactly("0.9", "0.5");

    JsonNode rounds = report.get("rounds");
    assertThat(rounds).hasSize(2);
    JsonNode r1 = rounds.get(0);
    assertThat(r1.get("round").asInt()).isEqualTo(1);
    assertThat(r1.get("epochs").asInt()).isEqualTo(1);
    assertThat(r1.get("decision").asText()).isEqualTo("RETRAIN");
    assertThat(r1.get("thresholdSource").asText()).isEqualTo("spec");
    assertThat(r1.get("loss").get("qat").findValuesAsText("loss")).containsExactly("0.4");
    assertThat(r1.get("quantizedMetrics").get("accuracy").asDouble()).isEqualTo(0.88);
    assertThat(r1.get("floatMetrics").get("accuracy").asDouble()).isEqualTo(0.90);
    JsonNode t1 = r1.get("thresholds").get(0);
    assertThat(t1.get("passed").asBoolean()).isFalse();
    assertThat(t1.get("deltaPp").asDouble()).isCloseTo(-2.0, within(1e-9));
    assertThat(t1.get("threshold").get("maxAbsDrop").asDouble()).isEqualTo(0.01);
    assertThat(r1.get("quantizedConfusion").get(1).get(0).asInt()).isEqualTo(7);

    JsonNode r2 = rounds.get(1);
    assertThat(r2.get("round").asInt()).isEqualTo(2);
    assertThat(r2.get("epochs").asInt()).isEqualTo(2);
    assertThat(r2.get("decision").asText()).isEqualTo("PASS");
    assertThat(r2.get("loss").get("qat").findValuesAsText("epoch")).containsExactly("1.0", "2.0");
    assertThat(r2.get("thresholds").get(0).get("passed").asBoolean()).isTrue();
    assertThat(r2.get("thresholds").get(0).get("deltaPp").asDouble()).isCloseTo(-0.5, within(1e-9));
    assertThat(r2.get("agreement").asDouble()).isEqualTo(0.99);

    assertThat(report.get("stageSeconds").get("qat round 2").asDouble()).isEqualTo(20.0);
    assertThat(report.get("modelBytes").get("float").asLong()).isEqualTo(4000);
    assertThat(report.get("modelBytes").get("quantized").asLong()).isEqualTo(1100);
    assertThat(report.get("events")).hasSize(twoRounds().size());
  }

  @Test
  void writesSelfContainedHtmlWithThreeDecodableCharts() throws Exception {
    new ReportWriter().write(dir, JOB, twoRounds());

    String html = Files.readString(dir.resolve(ReportWriter.HTML));
    Matcher m =
        Pattern.compile("<img[^>]*src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
    List<BufferedImage> images = new ArrayList<>();
    while (m.find()) {
      images.add(ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1)))));
    }
    assertThat(images).hasSize(3);
    assertThat(images)
        .allSatisfy(
            i -> {
              assertThat(i).isNotNull();
              assertThat(i.getWidth()).isPositive();
              assertThat(i.getHeight()).isPositive();
            });
    assertThat(html).doesNotContain("http://").doesNotContain("https://");
    assertThat(html)
        .contains("APPROVED as m v1")
        .contains("-0.50")
        .contains("<p>bar: the job spec's thresholds</p>");
  }

  @Test
  void headsTheMarkdownWithTheOutcome() throws Exception {
    new ReportWriter().write(dir, JOB, twoRounds());

    assertThat(Files.readString(dir.resolve(ReportWriter.MARKDOWN)))
        .contains("APPROVED as m v1 after 2 round(s)");
  }

  /**
   * Round 0 (post-training quantization, 0.80 for 2 CPU-s) beside rounds 1 (0.88) and 2 (0.895),
   * each QAT round 10 + 2 + 1 CPU-s; round 2 was asked for with a remedy.
   */
  private static List<EventTail.Seen> withPtqAndRemedy() {
    List<EventTail.Seen> seen = new ArrayList<>();
    for (EventTail.Seen s : twoRounds()) {
      QatEvent e = s.event();
      if (e instanceof RetrainRequested r) {
        e =
            new RetrainRequested(
                r.eventId(),
                JOB,
                1,
                REF,
                r.timestamp(),
                SPEC,
                "drop",
                2,
                2,
                1e-3,
                new Remedy(
                    List.of("epochs 1 → 2: the loss was still falling", "distillation on"),
                    0.01,
                    true,
                    new Distillation(0.5, 4.0),
                    REF,
                    Map.of()));
      } else if (e instanceof ValidationCompleted v) {
        e = withCpu(v, 10.0);
      }
      seen.add(new EventTail.Seen(s.topic(), JOB, e));
    }
    seen.add(
        3,
        new EventTail.Seen(
            "qat.status", JOB, withCpu(validation(35, 0, 0.80, false, FLOAT_CONFUSION), 0.0)));
    return seen;
  }

  private static ValidationCompleted withCpu(ValidationCompleted v, double training) {
    Map<String, Double> metrics = new java.util.HashMap<>(v.quantizedMetrics());
    metrics.put(ValidationCompleted.TRAINING_CPU_SECONDS, training);
    metrics.put(ValidationCompleted.QUANTIZATION_CPU_SECONDS, 2.0 - (training == 0 ? 1.0 : 0.0));
    metrics.put(ValidationCompleted.EVALUATION_CPU_SECONDS, 1.0);
    return new ValidationCompleted(
        v.eventId(),
        JOB,
        v.round(),
        REF,
        v.timestamp(),
        v.floatMetrics(),
        metrics,
        v.thresholdResults(),
        v.agreement(),
        v.decision(),
        v.floatConfusion(),
        v.quantizedConfusion(),
        v.thresholdSource());
  }

  @Test
  void showsEachRoundsRemedyAndWhatRetrainingBoughtOverPtq() throws Exception {
    new ReportWriter().write(dir, JOB, withPtqAndRemedy());

    // QAT: 0.895 against PTQ's 0.80 is +9.50 pp, for 2 × (10 + 2 + 1) = 26 CPU-s; PTQ 0 + 1 + 1.
    String bought = "Retraining bought +9.50 pp for 26.0 CPU-s.";
    JsonNode report = Json.MAPPER.readTree(dir.resolve(ReportWriter.JSON).toFile());
    assertThat(report.get("retraining").asText())
        .startsWith("post-training quantization (round 0): accuracy 0.8000 for 2.0 CPU-s")
        .endsWith(bought);
    JsonNode rounds = report.get("rounds");
    assertThat(rounds).hasSize(3);
    assertThat(rounds.get(2).get("remedy").get(1).asText()).isEqualTo("distillation on");
    assertThat(rounds.get(2).get("cpuSeconds").asDouble()).isEqualTo(13.0);
    assertThat(rounds.get(1).get("remedy")).isEmpty();

    String markdown = Files.readString(dir.resolve(ReportWriter.MARKDOWN));
    assertThat(markdown)
        .contains("after 2 round(s)")
        .contains("| 0 | PTQ | 0 | 0.9000 | 0.8000 | — | 0.9900 | 2.0 | RETRAIN | — |")
        .contains(
            "| 2 | QAT | 2 | 0.9000 | 0.8950 | +1.50 | 0.9900 | 13.0 | PASS | epochs 1 → 2: the"
                + " loss was still falling; distillation on |")
        .contains(bought);
    assertThat(Files.readString(dir.resolve(ReportWriter.HTML)))
        .contains("<th>remedy</th>")
        .contains("epochs 1 → 2: the loss was still falling; distillation on")
        .contains(bought);
  }

  @Test
  void tablesPerClassMetricsByClassNameInMarkdownAndHtml() throws Exception {
    new ReportWriter().write(dir, JOB, twoRounds());

    // the spec names no dataset: Fashion-MNIST, whose classes 0 and 1 are T-shirt/top, Trouser
    String markdown = Files.readString(dir.resolve(ReportWriter.MARKDOWN));
    String html = Files.readString(dir.resolve(ReportWriter.HTML));
    assertThat(markdown)
        .contains("## Per class (round 2), float vs quantized")
        .contains("| 0 T-shirt/top | 0.5000 | 0.2500 | 1.0000 | 0.5000 | 1.5000 | 0.7500 |")
        .contains("| 1 Trouser | 1.0000 | 1.0000 | 1.0000 | 1.0000 | 1.0000 | 1.0000 |");
    assertThat(html)
        .contains("<tr><td>0 T-shirt/top</td><td>0.5000</td><td>0.2500</td><td>1.0000</td>")
        .contains("<td>1 Trouser</td>");
    JsonNode report = Json.MAPPER.readTree(dir.resolve(ReportWriter.JSON).toFile());
    assertThat(report.get("classNames").get(9).asText()).isEqualTo("Ankle boot");
  }

  @Test
  void namesClassesAsTheValidatorRecordedThemForDataByReference() {
    ValidationCompleted v = validation(50, 1, 0.9, true, FLOAT_CONFUSION);
    ValidationCompleted named =
        new ValidationCompleted(
            v.eventId(),
            v.jobId(),
            v.round(),
            v.checkpoint(),
            v.timestamp(),
            v.floatMetrics(),
            v.quantizedMetrics(),
            v.thresholdResults(),
            v.agreement(),
            v.decision(),
            v.floatConfusion(),
            v.quantizedConfusion(),
            v.thresholdSource(),
            null,
            List.of("ant", "bee"));
    JobSubmitted submitted = new JobSubmitted(QatEvent.newEventId(), JOB, 0, null, at(0), SPEC);
    assertThat(ReportWriter.classNames(List.of(submitted, named))).containsExactly("ant", "bee");
    // Without recorded names: the spec's named dataset (Fashion-MNIST by default) names them.
    assertThat(ReportWriter.classNames(List.of(submitted, v)))
        .hasSize(10)
        .startsWith("T-shirt/top");
  }

  @Test
  void rendersTheSameSectionsInMarkdownAndHtml() throws Exception {
    new ReportWriter().write(dir, JOB, twoRounds());

    String markdown = Files.readString(dir.resolve(ReportWriter.MARKDOWN));
    String html = Files.readString(dir.resolve(ReportWriter.HTML));
    for (String title :
        List.of("Result (round 2)", "Rounds", "Per class (round 2)", "Time per stage")) {
      assertThat(markdown).contains("## " + title);
      assertThat(html).contains("<h2>" + title);
    }
    assertThat(markdown).contains("| accuracy | 0.9000 | 0.8950 | -0.50 | drop ≤ 1.0 pp | yes |");
    assertThat(html)
        .contains(
            "<tr><td>accuracy</td><td>0.9000</td><td>0.8950</td><td>-0.50</td>"
                + "<td>drop ≤ 1.0 pp</td><td>yes</td></tr>");
  }

  @Test
  void showsTheSpecAsJson() throws Exception {
    new ReportWriter().write(dir, JOB, twoRounds());

    String html = Files.readString(dir.resolve(ReportWriter.HTML));
    assertThat(html).contains("&quot;name&quot; : &quot;m&quot;").doesNotContain("JobSpec[");
  }

  @Test
  void putsBaselineAndRoundsOnOneEpochAxis() {
    List<QatEvent> events = twoRounds().stream().map(EventTail.Seen::event).toList();

    Map<String, List<double[]>> curves = ReportWriter.continuous(ReportWriter.lossCurves(events));

    // baseline: epochs 1, 2; round 1's one epoch follows as 3; round 2's two epochs as 4, 5
    assertThat(curves.get("baseline round 0")).extracting(p -> p[0]).containsExactly(1.0, 2.0);
    assertThat(curves.get("qat round 1")).extracting(p -> p[0]).containsExactly(3.0);
    assertThat(curves.get("qat round 2")).extracting(p -> p[0]).containsExactly(4.0, 5.0);
    assertThat(curves.get("qat round 2")).extracting(p -> p[1]).containsExactly(0.35, 0.3);
  }

  @Test
  void drawsTheAccuracyBarAtTheStrictestBound() {
    // min 0.85, float 0.90 − 1 pp = 0.89, 0.90 × (1 − 2 %) = 0.882: the bar is 0.89
    assertThat(ReportWriter.accuracyBar(new MetricThreshold(0.85, 0.01, 0.02), 0.90))
        .isCloseTo(0.89, within(1e-12));
  }

  /** {@link #twoRounds} with the per-layer sensitivity of round 2 on its report. */
  private static List<EventTail.Seen> twoRoundsWithSensitivity() {
    List<EventTail.Seen> out = new ArrayList<>();
    for (EventTail.Seen seen : twoRounds()) {
      if (seen.event() instanceof ValidationCompleted v && v.round() == 2) {
        ValidationCompleted with =
            new ValidationCompleted(
                v.eventId(),
                v.jobId(),
                v.round(),
                v.checkpoint(),
                v.timestamp(),
                v.floatMetrics(),
                v.quantizedMetrics(),
                v.thresholdResults(),
                v.agreement(),
                v.decision(),
                v.floatConfusion(),
                v.quantizedConfusion(),
                v.thresholdSource(),
                List.of(
                    new LayerSensitivity(0, "conv0", 8, 0.001, 0.002),
                    new LayerSensitivity(1, "dense1", 2, 0.0412, 0.1375),
                    new LayerSensitivity(2, "output2", 8, -0.0005, 0.0001)));
        out.add(new EventTail.Seen(seen.topic(), seen.key(), with));
      } else {
        out.add(seen);
      }
    }
    return out;
  }

  @Test
  void showsPerLayerSensitivityAsChartTableAndJson() throws Exception {
    new ReportWriter().write(dir, JOB, twoRoundsWithSensitivity());

    String html = Files.readString(dir.resolve(ReportWriter.HTML));
    assertThat(html).contains("<h2>Per-layer sensitivity (round 2)</h2>");
    Matcher m = Pattern.compile("<img[^>]*alt=\"per-layer sensitivity\"").matcher(html);
    assertThat(m.find()).isTrue();
    assertThat(Files.readString(dir.resolve(ReportWriter.MARKDOWN)))
        .contains("| layer | name | weight bits | accuracy drop (pp) | loss increase |")
        .contains("| 1 | dense1 | 2 | 4.12 | +0.1375 |")
        .contains("| 2 | output2 | 8 | -0.05 | +0.0001 |");
    JsonNode report = Json.MAPPER.readTree(dir.resolve(ReportWriter.JSON).toFile());
    assertThat(report.get("rounds").get(0).has("sensitivity")).isFalse();
    assertThat(report.get("rounds").get(1).get("sensitivity").get(1).get("bits").asInt())
        .isEqualTo(2);
  }

  @Test
  void namesTheWeightBitsAnAutomaticSpecChose() throws Exception {
    JobSpec auto =
        SPEC.withQuantization(
            QuantizationSpec.auto(8, new QuantizationBudget(156.25, null))
                .withLayerWeightBits(new int[] {8, 3, 2, 8}));
    List<EventTail.Seen> seen = new ArrayList<>(twoRounds());
    seen.add(
        1,
        new EventTail.Seen(
            "qat.train",
            JOB,
            new TrainRequested(
                QatEvent.newEventId(), JOB, 1, REF, at(31), auto, "first", 1, 1e-3, REF)));

    new ReportWriter().write(dir, JOB, seen);

    String line = "weight bits per layer, chosen by \"auto\" within 156.25 KiB: 8, 3, 2, 8";
    assertThat(Files.readString(dir.resolve(ReportWriter.MARKDOWN))).contains(line);
    assertThat(Files.readString(dir.resolve(ReportWriter.HTML)))
        .contains(line.replace("\"", "&quot;"));
  }
}
