package io.qatfleet.core.data;

import java.util.Objects;

/**
 * The three splits a QAT job works with: {@code train} for the trainer, {@code calibration} (held
 * out of the training file, disjoint from {@code train}) for the quantizer's range and step-size
 * calibration, and {@code test} for the validator. All three share image geometry and classes;
 * {@code description} names the data, its digest and its classes for provenance and reports.
 */
public record DatasetSplits(
    DatasetDescription description, Dataset train, Dataset calibration, Dataset test) {

  public DatasetSplits {
    Objects.requireNonNull(description, "description must not be null");
    Objects.requireNonNull(train, "train must not be null");
    Objects.requireNonNull(calibration, "calibration must not be null");
    Objects.requireNonNull(test, "test must not be null");
    requireSameGeometry("calibration", train, calibration);
    requireSameGeometry("test", train, test);
  }

  /** The shape of every sample. */
  public InputShape shape() {
    return new InputShape(train.rows(), train.cols(), train.channels());
  }

  private static void requireSameGeometry(String field, Dataset train, Dataset other) {
    if (other.rows() != train.rows()
        || other.cols() != train.cols()
        || other.channels() != train.channels()
        || other.numClasses() != train.numClasses()) {
      throw new IllegalArgumentException(
          field
              + " has "
              + other.rows()
              + "x"
              + other.cols()
              + "x"
              + other.channels()
              + " images of "
              + other.numClasses()
              + " classes but train has "
              + train.rows()
              + "x"
              + train.cols()
              + "x"
              + train.channels()
              + " of "
              + train.numClasses());
    }
  }
}
