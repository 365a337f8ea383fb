package io.qatfleet.core.job;

import io.qatfleet.core.data.DatasetId;
import java.util.ArrayList;
import java.util.List;

/**
 * Which dataset a job uses and how much of it. Limits of 0 mean "all"; the calibration split is
 * held out of the training images.
 */
public record DataSpec(
    String dataset, Integer trainLimit, Integer testLimit, Integer calibrationSize) {

  public static final int DEFAULT_CALIBRATION_SIZE = 5000;

  public DatasetId datasetId() {
    return DatasetId.parse(dataset);
  }

  public DataSpec {
    dataset = dataset == null ? "fashion-mnist" : dataset;
    trainLimit = trainLimit == null ? 0 : trainLimit;
    testLimit = testLimit == null ? 0 : testLimit;
    calibrationSize = calibrationSize == null ? DEFAULT_CALIBRATION_SIZE : calibrationSize;
  }

  /** Every problem with this spec, each naming the field and the bad value; empty when valid. */
  public List<String> violations() {
    List<String> out = new ArrayList<>();
    DatasetId id = null;
    try {
      id = DatasetId.parse(dataset);
    } catch (IllegalArgumentException e) {
      out.add("data.dataset: " + e.getMessage());
    }
    if (trainLimit < 0) {
      out.add("data.trainLimit: must be >= 0 (0 = all), got " + trainLimit);
    } else if (id != null && trainLimit > id.trainImages()) {
      out.add(
          "data.trainLimit: must be at most the "
              + id.trainImages()
              + " training images of "
              + id.displayName()
              + " (0 = all), got "
              + trainLimit);
    }
    if (testLimit < 0) {
      out.add("data.testLimit: must be >= 0 (0 = all), got " + testLimit);
    } else if (id != null && testLimit > id.testImages()) {
      out.add(
          "data.testLimit: must be at most the "
              + id.testImages()
              + " test images of "
              + id.displayName()
              + " (0 = all), got "
              + testLimit);
    }
    if (calibrationSize < 1 || calibrationSize > 30000) {
      out.add("data.calibrationSize: must be in 1..30000, got " + calibrationSize);
    }
    return out;
  }
}
