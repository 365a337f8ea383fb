package io.qatfleet.cli;

import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.experiment.Experiment;
import io.qatfleet.core.job.DataSpec;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.quant.Granularity;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.TrainingSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code qat experiment}: the single-process reference run (float baseline, then QAT, calibration,
 * projection and integer evaluation per variant), printing the comparison table.
 */
@Command(
    name = "experiment",
    mixinStandardHelpOptions = true,
    description =
        "Train a float baseline, then QAT each bit-width variant from it, and compare the"
            + " integer models against the float one.")
final class ExperimentCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--spec", description = "Job spec JSON; the options below override it.")
  Path specFile;

  @Option(names = "--dataset", description = "fashion-mnist or mnist.")
  String dataset;

  @Option(names = "--model", description = "cnn, mlp, lenet5, resnet8 or mobilenet-tiny.")
  Architecture architecture;

  @Option(
      names = "--variants",
      split = ",",
      description = "Bit widths to compare, e.g. W8A8,W4A4 (first and last layer stay 8-bit).")
  List<String> variants = List.of("W8A8", "W4A4");

  @Option(names = "--method", description = "ste, lsq or lsq_pact.")
  QatMethod method;

  @Option(names = "--granularity", description = "per_tensor or per_channel weights.")
  Granularity granularity;

  @Option(names = "--float-epochs")
  Integer floatEpochs;

  @Option(names = "--qat-epochs")
  Integer qatEpochs;

  @Option(names = "--batch-size")
  Integer batchSize;

  @Option(names = "--seed")
  Long seed;

  @Option(names = "--train-limit", description = "Train on this many images (0 = all).")
  Integer trainLimit;

  @Option(names = "--test-limit", description = "Test on this many images (0 = all).")
  Integer testLimit;

  @Option(names = "--out", description = "Also write the table (Markdown) to this file.")
  Path out;

  @Override
  public Integer call() throws IOException {
    JobSpec job = buildJob();
    List<String> problems = job.violations();
    if (!problems.isEmpty()) {
      throw new ParameterException(
          spec.commandLine(), "invalid job: " + String.join("; ", problems));
    }
    List<QuantizationSpec> quantizations = new ArrayList<>();
    for (String v : variants) {
      int[] bits;
      try {
        bits = BitWidths.parse(v);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--variants: " + e.getMessage());
      }
      quantizations.add(job.quantization().withBits(bits[0], bits[1]));
    }
    PrintStream log = System.out;
    Experiment.Result result =
        Experiment.run(job, quantizations, DatasetLoader.fromEnvironment(), log);
    String table = Experiment.table(result);
    String report =
        String.format(
            Locale.ROOT,
            "%n%s, %s, float %d epochs, QAT %d epochs, batch %d, seed %d, wall %.0f s%n%n%s",
            job.data().displayName(),
            job.model().architecture().label(),
            job.training().floatEpochs(),
            job.training().qatEpochs(),
            job.training().batchSize(),
            job.training().seed(),
            result.wallSeconds(),
            table);
    log.print(report);
    if (out != null) {
      Files.writeString(out, report);
    }
    return 0;
  }

  private JobSpec buildJob() throws IOException {
    JobSpec base =
        specFile == null
            ? new JobSpec(null, null, null, null, null, null, null)
            : JobSpec.fromJson(Files.readString(specFile));
    DataSpec d = base.data();
    DataSpec data =
        dataset != null
            ? new DataSpec(
                dataset,
                trainLimit != null ? trainLimit : d.trainLimit(),
                testLimit != null ? testLimit : d.testLimit(),
                d.calibrationSize())
            : d.withLimits(
                trainLimit != null ? trainLimit : d.trainLimit(),
                testLimit != null ? testLimit : d.testLimit(),
                d.calibrationSize());
    ModelSpec model =
        architecture == null
            ? base.model()
            : ModelSpec.preset(
                architecture,
                base.model().inputHeight(),
                base.model().inputWidth(),
                base.model().inputChannels(),
                base.model().numClasses());
    QuantizationSpec quantization = base.quantization().with(method, granularity);
    TrainingSpec t = base.training();
    TrainingSpec training =
        new TrainingSpec(
            floatEpochs != null ? floatEpochs : t.floatEpochs(),
            qatEpochs != null ? qatEpochs : t.qatEpochs(),
            t.calibrationEpochs(),
            batchSize != null ? batchSize : t.batchSize(),
            t.optimizer(),
            t.learningRate(),
            t.qatLearningRate(),
            t.calibrationLearningRate(),
            t.momentum(),
            t.schedule(),
            seed != null ? seed : t.seed(),
            t.hardProjection(),
            t.distillation());
    return new JobSpec(
        base.name(), data, model, quantization, training, base.thresholds(), base.maxRounds());
  }
}
