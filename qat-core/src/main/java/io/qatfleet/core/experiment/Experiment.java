package io.qatfleet.core.experiment;

import io.qatfleet.core.BuildInfo;
import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.DatasetSplits;
import io.qatfleet.core.eval.ClassificationMetrics;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.onnx.OnnxExporter;
import io.qatfleet.core.pipeline.MixedPrecisionPlan;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import io.qatfleet.core.pipeline.QatPipeline;
import io.qatfleet.core.pipeline.QatPipeline.Evaluation;
import io.qatfleet.core.pipeline.Sensitivity;
import io.qatfleet.core.pipeline.StageResult;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.core.train.TrainingProgress;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The single-process reference run: one float baseline, then for each quantization variant QAT from
 * that baseline, calibration, projection and integer evaluation against the float model. The fleet
 * must reproduce these numbers over Kafka.
 */
public final class Experiment {
  /** Provenance of the checkpoints encoded only to measure their file size. */
  private static final Provenance PROVENANCE =
      new Provenance(
          "experiment", 0, null, "experiment", BuildInfo.codeVersion(), "1970-01-01T00:00:00Z");

  private Experiment() {}

  /**
   * One line of the result table.
   *
   * @param metrics of the float model (float row) or of the integer engine (quantized rows)
   * @param agreement integer engine vs fake-quant graph, null for the float row
   * @param modelBytes size of the model's checkpoint file (float, or integer with packed levels)
   * @param seconds wall time by phase
   * @param onnx the model exported as ONNX ({@link OnnxExporter}), for a runtime to check
   * @param predictions the model's predictions on the test split (TensorFlow for the float row, the
   *     integer engine for the quantized rows): the reference an ONNX runtime must agree with
   */
  public record Row(
      String label,
      ClassificationMetrics metrics,
      Double fakeQuantAccuracy,
      Double agreement,
      long modelBytes,
      Map<String, Double> seconds,
      byte[] onnx,
      int[] predictions) {}

  /** The rows, float first, and the test split they were evaluated on. */
  public record Result(JobSpec job, List<Row> rows, double wallSeconds, Dataset test) {
    public Row floatRow() {
      return rows.get(0);
    }
  }

  /** Runs the float baseline of {@code job} and every variant; logs progress to {@code log}. */
  public static Result run(
      JobSpec job, List<QuantizationSpec> variants, DatasetLoader loader, PrintStream log) {
    long start = System.nanoTime();
    job.requireValid();
    DatasetSplits data = QatPipeline.forJob(job, loader).data();
    log.printf(
        Locale.ROOT,
        "dataset %s: %d train, %d calibration, %d test%n",
        data.description().name(),
        data.train().size(),
        data.calibration().size(),
        data.test().size());

    List<JobSpec> variantJobs = new ArrayList<>();
    for (QuantizationSpec variant : variants) {
      JobSpec variantJob =
          new JobSpec(
              job.name(),
              job.data(),
              job.model(),
              variant,
              job.training(),
              job.thresholds(),
              job.maxRounds());
      variantJob.requireValid().warnings().forEach(w -> log.println("warning: " + w));
      variantJobs.add(variantJob);
    }
    QatPipeline floatPipeline = new QatPipeline(job, data);
    StageResult floatStage =
        floatPipeline.trainFloat(floatPipeline.initialState(), 0, progress(log, "float"));
    long t = System.nanoTime();
    Evaluation floatEval = floatPipeline.evaluateFloat(floatStage.state());
    double floatEvalSeconds = (System.nanoTime() - t) / 1e9;
    List<Row> rows = new ArrayList<>();
    Map<String, Double> floatTimes = new LinkedHashMap<>();
    floatTimes.put("train", floatStage.seconds());
    floatTimes.put("eval", floatEvalSeconds);
    rows.add(
        new Row(
            "float",
            floatEval.metrics(),
            null,
            null,
            fileBytes(ModelCheckpoints.ofFloat(job.model(), null, floatStage.state(), PROVENANCE)),
            floatTimes,
            OnnxExporter.exportFloat(job.model(), floatStage.state(), Map.of()),
            floatEval.predictions()));
    log.printf(Locale.ROOT, "float: accuracy %.4f%n", floatEval.metrics().accuracy());

    for (JobSpec submitted : variantJobs) {
      String label = label(submitted.quantization());
      Map<String, Double> times = new LinkedHashMap<>();
      t = System.nanoTime();
      JobSpec variantJob = submitted;
      if (!submitted.quantization().resolved(submitted.model().layerCount())) {
        MixedPrecisionPlan plan =
            MixedPrecisionPlan.choose(
                new QatPipeline(submitted, data), floatStage.state(), Sensitivity.DEFAULT_SAMPLES);
        log.println(label + ": " + plan.describe());
        variantJob = submitted.withQuantization(plan.resolved());
        times.put("choose bits", (System.nanoTime() - t) / 1e9);
        t = System.nanoTime();
      }
      QatPipeline pipeline = new QatPipeline(variantJob, data);
      ModelState initial = pipeline.initQuantization(floatStage.state());
      StageResult qat =
          pipeline.trainQat(initial, floatStage.state(), progress(log, label + " qat"));
      times.put("qat", (System.nanoTime() - t) / 1e9);
      StageResult calibrated = pipeline.calibrate(qat.state(), progress(log, label + " calibrate"));
      times.put("calibrate", calibrated.seconds());
      t = System.nanoTime();
      QuantizedModel integer = pipeline.project(calibrated.state());
      times.put("project", (System.nanoTime() - t) / 1e9);
      t = System.nanoTime();
      Evaluation fake = pipeline.evaluateFakeQuant(calibrated.state());
      long tInt = System.nanoTime();
      Evaluation exact = pipeline.evaluateInteger(integer);
      times.put("eval", (System.nanoTime() - t) / 1e9);
      times.put("int eval", (System.nanoTime() - tInt) / 1e9);
      rows.add(
          new Row(
              label,
              exact.metrics(),
              fake.metrics().accuracy(),
              exact.agreement(fake),
              fileBytes(
                  ModelCheckpoints.ofQuantized(integer, variantJob.quantization(), PROVENANCE)),
              times,
              OnnxExporter.exportQuantized(integer, Map.of()),
              exact.predictions()));
      log.printf(
          Locale.ROOT,
          "%s: integer accuracy %.4f, fake-quant %.4f, agreement %.4f%n",
          label,
          exact.metrics().accuracy(),
          fake.metrics().accuracy(),
          exact.agreement(fake));
    }
    return new Result(job, rows, (System.nanoTime() - start) / 1e9, data.test());
  }

  /** "W4A4 lsq_pact per_channel" style label. */
  public static String label(QuantizationSpec q) {
    return String.format(
        Locale.ROOT,
        "W%sA%d %s %s",
        q.autoBits() ? "auto" : Integer.toString(q.weightBits()),
        q.activationBits(),
        q.method().name().toLowerCase(Locale.ROOT),
        q.granularity().name().toLowerCase(Locale.ROOT));
  }

  /** Size of the checkpoint file the fleet would write for {@code checkpoint}. */
  private static long fileBytes(Checkpoint checkpoint) {
    return new CheckpointCodec().encode(checkpoint).bytes().length;
  }

  /** Markdown table of a result: metrics, drop against float, agreement, sizes and times. */
  public static String table(Result result) {
    StringBuilder out = new StringBuilder();
    out.append(
        "| model | accuracy | Δ acc (pp) | macro P | macro R | macro F1 | fake-quant acc |"
            + " int vs fake-quant agreement | size (KiB) | time (s) |\n");
    out.append("|---|---|---|---|---|---|---|---|---|---|\n");
    double reference = result.floatRow().metrics().accuracy();
    for (Row row : result.rows()) {
      ClassificationMetrics m = row.metrics();
      StringBuilder times = new StringBuilder();
      row.seconds().forEach((k, v) -> times.append(String.format(Locale.ROOT, "%s %.0f ", k, v)));
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %.4f | %s | %.4f | %.4f | %.4f | %s | %s | %.1f | %s|%n",
              row.label(),
              m.accuracy(),
              row.agreement() == null
                  ? "—"
                  : String.format(Locale.ROOT, "%+.2f", 100 * (m.accuracy() - reference)),
              m.macroPrecision(),
              m.macroRecall(),
              m.macroF1(),
              row.fakeQuantAccuracy() == null
                  ? "—"
                  : String.format(Locale.ROOT, "%.4f", row.fakeQuantAccuracy()),
              row.agreement() == null
                  ? "—"
                  : String.format(Locale.ROOT, "%.2f %%", 100 * row.agreement()),
              row.modelBytes() / 1024.0,
              times));
    }
    return out.toString();
  }

  /** Prints epoch summaries, and progress lines at most every ten seconds. */
  public static TrainingListener progress(PrintStream log, String phase) {
    return new TrainingListener() {
      private long last = System.nanoTime();

      @Override
      public void onProgress(TrainingProgress p) {
        long now = System.nanoTime();
        if (now - last > 10_000_000_000L) {
          last = now;
          print(p);
        }
      }

      @Override
      public void onEpochEnd(TrainingProgress p, io.qatfleet.core.model.ModelGraph graph) {
        print(p);
      }

      private void print(TrainingProgress p) {
        log.printf(
            Locale.ROOT,
            "[%s] epoch %d/%d step %d/%d loss %.4f %.0f samples/s lr %.2e%n",
            phase,
            p.epoch() + 1,
            p.epochs(),
            p.step(),
            p.stepsPerEpoch(),
            p.loss(),
            p.samplesPerSecond(),
            p.learningRate());
      }
    };
  }
}
