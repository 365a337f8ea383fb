package io.qatfleet.core.job;

import io.qatfleet.core.data.DataSource;
import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.data.DatasetFormatException;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.InputShape;
import io.qatfleet.core.data.SourceFormat;
import io.qatfleet.core.model.ModelSpec;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether a job's data by reference ({@link DataSpec#source()}) fits its model, known only by
 * reading the files: the job API runs it after {@link JobSpec#violations()} so that a mismatch
 * (channels, image size, class count, a CSV's feature count) or unreadable, oversized or
 * wrongly-digested files answer 400 before any training, each violation naming the spec field. The
 * files are read through the loader's cache, so the training stages that follow do not read them
 * again. Jobs naming a dataset need no files read here ({@link JobSpec#violations()} covers them).
 */
public final class DataCheck {

  private DataCheck() {}

  /** The input the model takes, which image folders are decoded to. */
  public static InputShape inputShape(ModelSpec model) {
    return new InputShape(model.inputHeight(), model.inputWidth(), model.inputChannels());
  }

  /**
   * Every mismatch between the job's source and its model, or the source's read error; empty for a
   * job naming a dataset, or one whose spec already has violations (its values may be meaningless).
   */
  public static List<String> violations(JobSpec spec, DatasetLoader loader, JobBudget budget) {
    DataSource source = spec.data().source();
    List<String> out = new ArrayList<>();
    if (source == null || !spec.violations().isEmpty()) {
      return out;
    }
    ModelSpec model = spec.model();
    DatasetLoader.Loaded loaded;
    try {
      loaded = loader.read(source, inputShape(model));
    } catch (DatasetFormatException | UncheckedIOException e) {
      String message = e.getMessage();
      out.add(message.startsWith("data.source") ? message : "data.source: " + message);
      return out;
    }
    Dataset train = loaded.train();
    String name = loaded.description().name();
    int classes = loaded.description().classNames().size();
    if (model.numClasses() != classes) {
      out.add(
          "model.numClasses: must be the "
              + classes
              + " classes of "
              + name
              + " "
              + loaded.description().classNames()
              + ", got "
              + model.numClasses());
    }
    InputShape data = new InputShape(train.rows(), train.cols(), train.channels());
    if (!data.equals(inputShape(model))) {
      String fields = "model.inputHeight x model.inputWidth x model.inputChannels";
      out.add(
          source.format() == SourceFormat.CSV
              ? fields
                  + ": must be 1 x "
                  + train.cols()
                  + " x 1 for the "
                  + train.cols()
                  + " feature columns of "
                  + name
                  + ", got "
                  + inputShape(model)
              : fields
                  + ": must be the "
                  + data
                  + " images of "
                  + name
                  + ", got "
                  + inputShape(model));
    }
    if (spec.data().calibrationSize() >= train.size()) {
      out.add(
          "data.calibrationSize: must be smaller than the "
              + train.size()
              + " training samples of "
              + name
              + ", got "
              + spec.data().calibrationSize());
    }
    out.addAll(budget.sampleViolations(spec.data(), train.size(), loaded.test().size()));
    return out;
  }
}
