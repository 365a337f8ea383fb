package io.qatfleet.bench;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.qatfleet.cli.BitWidths;
import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.eval.ClassificationMetrics;
import io.qatfleet.core.experiment.Experiment;
import io.qatfleet.core.job.DataSpec;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.onnx.OnnxExporter;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.TrainingSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code qat bench deploy}: what ships, measured. Runs the single-process experiment ({@link
 * Experiment}) for the float baseline and each variant, exports every model as ONNX ({@link
 * OnnxExporter}), runs each file in ONNX Runtime on the test split, and tabulates the reference's
 * accuracy (TensorFlow for the float model, the integer engine for the quantized ones), ONNX
 * Runtime's accuracy and its agreement with the reference, the file sizes (checkpoint and ONNX),
 * and how long the integer engine and ONNX Runtime take over the test split: the validation stage's
 * cost before and after it moved to ONNX Runtime.
 */
@Command(
    name = "deploy",
    mixinStandardHelpOptions = true,
    description =
        "Exported ONNX models in ONNX Runtime against the integer engine: accuracy, agreement,"
            + " file sizes, evaluation time.")
final class DeployBench implements Callable<Integer> {
  static final String DEFAULT_JOB = "/demo-job.json";
  private static final int BATCH = 1000;

  @Spec CommandSpec spec;

  @Option(
      names = "--job",
      description = "Job spec JSON (default: the demo job, qat-cli's demo-job.json).")
  Path job;

  @Option(
      names = "--variants",
      split = ",",
      defaultValue = "W8A8,W4A4,W2A2",
      description = "Quantization variants (default ${DEFAULT-VALUE}).")
  List<String> variants;

  @Option(names = "--float-epochs", description = "Override the spec's float epochs.")
  Integer floatEpochs;

  @Option(names = "--qat-epochs", description = "Override the spec's QAT epochs.")
  Integer qatEpochs;

  @Option(names = "--train-limit", description = "Train on this many images (0 = all).")
  Integer trainLimit;

  @Option(
      names = "--out",
      defaultValue = "docs/benchmarks/deploy.md",
      description = "Markdown file the table goes to (default ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() throws IOException, OrtException {
    String command = BenchReport.command(spec.commandLine().getParseResult().originalArgs());
    MachineInfo machine = MachineInfo.current();
    double load = BenchReport.loadAverage();
    JobSpec spec = job();
    List<QuantizationSpec> quantizations = new ArrayList<>();
    for (String v : variants) {
      int[] bits = BitWidths.parse(v);
      quantizations.add(spec.quantization().withBits(bits[0], bits[1]));
    }
    Experiment.Result result =
        Experiment.run(spec, quantizations, DatasetLoader.fromEnvironment(), System.out);
    Dataset test = result.test();
    int[] truth = test.labelsAsInts();
    MarkdownTable table =
        new MarkdownTable(
            "model",
            "checkpoint (KiB)",
            "model.onnx (KiB)",
            "reference accuracy",
            "ONNX Runtime accuracy",
            "ONNX Runtime vs reference agreement",
            "reference eval (s)",
            "ONNX Runtime eval (s)");
    for (Experiment.Row row : result.rows()) {
      long t0 = System.nanoTime();
      int[] ort = predict(row.onnx(), test);
      double ortSeconds = (System.nanoTime() - t0) / 1e9;
      Double referenceSeconds = row.seconds().get(row.agreement() == null ? "eval" : "int eval");
      table.row(
          row.label() + (row.agreement() == null ? " (reference: TensorFlow)" : ""),
          String.format(Locale.ROOT, "%.1f", row.modelBytes() / 1024.0),
          String.format(Locale.ROOT, "%.1f", row.onnx().length / 1024.0),
          String.format(Locale.ROOT, "%.4f", row.metrics().accuracy()),
          String.format(Locale.ROOT, "%.4f", ClassificationMetrics.agreement(ort, truth)),
          String.format(
              Locale.ROOT,
              "%.2f %%",
              100 * ClassificationMetrics.agreement(ort, row.predictions())),
          referenceSeconds == null ? "—" : String.format(Locale.ROOT, "%.1f", referenceSeconds),
          String.format(Locale.ROOT, "%.1f", ortSeconds));
    }
    TrainingSpec t = spec.training();
    String text =
        BenchReport.header(
                "Deployable models: ONNX Runtime vs the integer engine", machine, command, load)
            + String.format(
                Locale.ROOT,
                "%s, %s, %s training images, float %d epochs, QAT %d epochs, %d test images;"
                    + " wall %.0f s. Reference: the integer engine (quantized rows) or TensorFlow"
                    + " (float row), on the whole test split. Checkpoint: the file the fleet"
                    + " writes (float32 weights; integer levels packed below 8 bits). ONNX Runtime"
                    + " %s, CPU provider, default threads, batches of %d.%n%n",
                spec.data().dataset(),
                spec.model().architecture().label(),
                spec.data().trainLimit() == 0 ? "all" : spec.data().trainLimit(),
                t.floatEpochs(),
                t.qatEpochs(),
                test.size(),
                result.wallSeconds(),
                OrtEnvironment.getEnvironment().getVersion(),
                BATCH)
            + table.render();
    BenchReport.publish(text, out, System.out);
    return 0;
  }

  private JobSpec job() throws IOException {
    String json;
    if (job != null) {
      json = Files.readString(job);
    } else {
      try (InputStream in = DeployBench.class.getResourceAsStream(DEFAULT_JOB)) {
        if (in == null) {
          throw new IOException("resource " + DEFAULT_JOB + " is missing from the class path");
        }
        json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    }
    JobSpec base = JobSpec.fromJson(json);
    DataSpec d = base.data();
    TrainingSpec t = base.training();
    return new JobSpec(
        base.name(),
        new DataSpec(
            d.dataset(),
            trainLimit != null ? trainLimit : d.trainLimit(),
            d.testLimit(),
            d.calibrationSize()),
        base.model(),
        base.quantization(),
        new TrainingSpec(
            floatEpochs != null ? floatEpochs : t.floatEpochs(),
            qatEpochs != null ? qatEpochs : t.qatEpochs(),
            t.calibrationEpochs(),
            t.batchSize(),
            t.optimizer(),
            t.learningRate(),
            t.qatLearningRate(),
            t.calibrationLearningRate(),
            t.momentum(),
            t.schedule(),
            t.seed(),
            t.hardProjection()),
        base.thresholds(),
        base.maxRounds());
  }

  /** ONNX Runtime's predicted class of every test image. */
  static int[] predict(byte[] model, Dataset data) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    int per = data.pixelsPerImage();
    int[] out = new int[data.size()];
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(model, options)) {
      for (int from = 0; from < data.size(); from += BATCH) {
        int n = Math.min(BATCH, data.size() - from);
        ByteBuffer batch = ByteBuffer.allocateDirect(n * per);
        batch.put(data.planarPixels(from, n)).flip();
        try (OnnxTensor t =
                OnnxTensor.createTensor(env, batch, data.planarShape(n), OnnxJavaType.UINT8);
            OrtSession.Result r = session.run(Map.of(OnnxExporter.INPUT, t))) {
          float[][] logits = (float[][]) r.get(0).getValue();
          for (int i = 0; i < n; i++) {
            int best = 0;
            for (int c = 1; c < logits[i].length; c++) {
              if (logits[i][c] > logits[i][best]) {
                best = c;
              }
            }
            out[from + i] = best;
          }
        }
      }
    }
    return out;
  }
}
