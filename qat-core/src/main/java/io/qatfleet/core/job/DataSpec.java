package io.qatfleet.core.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.qatfleet.core.data.DataSource;
import io.qatfleet.core.data.DatasetId;
import java.util.ArrayList;
import java.util.List;

/**
 * Which data a job uses and how much of it: a dataset this build knows by name ({@code dataset},
 * {@link DatasetId}) or one by reference ({@code source}, {@link DataSource}), never both. Limits
 * of 0 mean "all"; the calibration split is held out of the training images.
 */
public record DataSpec(
    @JsonInclude(JsonInclude.Include.NON_NULL) String dataset,
    Integer trainLimit,
    Integer testLimit,
    Integer calibrationSize,
    @JsonInclude(JsonInclude.Include.NON_NULL) DataSource source) {

  public static final int DEFAULT_CALIBRATION_SIZE = 5000;

  /** The named dataset; a spec with a {@link #source()} has none. */
  public DatasetId datasetId() {
    return DatasetId.parse(dataset);
  }

  public DataSpec {
    dataset = dataset == null && source == null ? "fashion-mnist" : dataset;
    trainLimit = trainLimit == null ? 0 : trainLimit;
    testLimit = testLimit == null ? 0 : testLimit;
    calibrationSize = calibrationSize == null ? DEFAULT_CALIBRATION_SIZE : calibrationSize;
  }

  /** A spec naming a dataset. */
  public DataSpec(String dataset, Integer trainLimit, Integer testLimit, Integer calibrationSize) {
    this(dataset, trainLimit, testLimit, calibrationSize, null);
  }

  /** A spec naming a source. */
  public static DataSpec of(
      DataSource source, Integer trainLimit, Integer testLimit, Integer calibrationSize) {
    return new DataSpec(null, trainLimit, testLimit, calibrationSize, source);
  }

  /** The same data with other limits. */
  public DataSpec withLimits(Integer newTrainLimit, Integer newTestLimit, Integer newCalibration) {
    return new DataSpec(dataset, newTrainLimit, newTestLimit, newCalibration, source);
  }

  /** How people and provenance name the data: the dataset's name, or the source's. */
  public String displayName() {
    return source != null ? source.displayName() : dataset;
  }

  /** Every problem with this spec, each naming the field and the bad value; empty when valid. */
  public List<String> violations() {
    List<String> out = new ArrayList<>();
    DatasetId id = null;
    if (source != null) {
      if (dataset != null) {
        out.add("data.dataset: name a dataset or a source, not both, got '" + dataset + "'");
      }
      out.addAll(source.violations("data.source"));
    } else {
      try {
        id = DatasetId.parse(dataset);
      } catch (IllegalArgumentException e) {
        out.add("data.dataset: " + e.getMessage());
      }
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
