package io.qatfleet.core.data;

import java.nio.file.Path;
import java.util.List;

/**
 * No searched directory holds all files of a dataset. The message names the dataset, every
 * directory looked at with what was missing there, the package that provides the files and the
 * command that installs them, so the person reading a failed job's log can fix it at once.
 */
public class DatasetNotFoundException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final DatasetId dataset;
  private final List<Path> searched;

  DatasetNotFoundException(
      DatasetId dataset, List<Path> searched, List<String> findings, Path dataDir) {
    super(message(dataset, searched, findings, dataDir));
    this.dataset = dataset;
    this.searched = List.copyOf(searched);
  }

  public DatasetId dataset() {
    return dataset;
  }

  /** The directories looked at, in search order. */
  public List<Path> searched() {
    return searched;
  }

  private static String message(
      DatasetId dataset, List<Path> searched, List<String> findings, Path dataDir) {
    StringBuilder sb =
        new StringBuilder(dataset.displayName()).append(" dataset not found. Looked in:");
    for (int i = 0; i < searched.size(); i++) {
      sb.append("\n  ").append(searched.get(i)).append(": ").append(findings.get(i));
    }
    return sb.append("\n")
        .append(dataset.displayName())
        .append(" comes from ")
        .append(dataset.provider())
        .append(". Install it with:\n  ")
        .append(dataset.installCommand(dataDir))
        .append("\nor point ")
        .append(DatasetLoader.DATA_DIR_ENV)
        .append(" (or -D")
        .append(DatasetLoader.DATA_DIR_PROPERTY)
        .append(") at a directory holding ")
        .append(dataset.dirName())
        .append("/")
        .toString();
  }
}
