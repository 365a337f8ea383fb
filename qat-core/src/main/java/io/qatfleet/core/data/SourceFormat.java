package io.qatfleet.core.data;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The file layouts a {@link DataSource} may name, by their name in a job spec. */
public enum SourceFormat {
  /** A directory holding the four MNIST-style IDX files (plain or gzipped). */
  IDX("idx"),
  /** A directory with one subfolder of PNG/JPEG images per class. */
  IMAGE_FOLDER("imageFolder"),
  /** A directory of CIFAR-10 binary batches. */
  CIFAR10("cifar10"),
  /** A directory with CIFAR-100's binary {@code train.bin} and {@code test.bin}. */
  CIFAR100("cifar100"),
  /** A CSV table of numeric features and a label column, or a directory of two. */
  CSV("csv");

  private final String specName;

  SourceFormat(String specName) {
    this.specName = specName;
  }

  @JsonValue
  public String specName() {
    return specName;
  }

  /**
   * The format a spec names, exactly as spelled in {@link #specName()}.
   *
   * @throws IllegalArgumentException naming the text and the accepted names
   */
  @JsonCreator
  public static SourceFormat parse(String text) {
    for (SourceFormat f : values()) {
      if (f.specName.equals(text)) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "unknown format "
            + (text == null ? "null" : "'" + text + "'")
            + " (expected one of "
            + Arrays.stream(values()).map(SourceFormat::specName).collect(Collectors.joining(", "))
            + ")");
  }
}
