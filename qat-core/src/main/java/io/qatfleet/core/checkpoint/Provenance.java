package io.qatfleet.core.checkpoint;

import io.qatfleet.core.data.DatasetDescription;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where a checkpoint came from: the job and QAT round that produced it, the checkpoint it was
 * derived from, the dataset it was trained or calibrated on, the code that made it and when. Stored
 * in the checkpoint's {@code __metadata__} so a file alone explains its lineage.
 *
 * @param parentSha256 SHA-256 of the checkpoint this one started from, or {@code null} for a model
 *     trained from scratch
 * @param createdAt an ISO-8601 timestamp with offset, e.g. {@code 2025-11-26T22:22:00Z}
 * @param datasetSha256 the canonical digest of the dataset's files ({@link
 *     io.qatfleet.core.data.SourceDigest}), or null where it was not recorded
 * @param classNames the dataset's class names by label, or null where they were not recorded
 */
public record Provenance(
    String jobId,
    int round,
    String parentSha256,
    String dataset,
    String codeVersion,
    String createdAt,
    String datasetSha256,
    List<String> classNames) {

  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  public Provenance {
    requireNonBlank("jobId", jobId);
    if (round < 0) {
      throw new IllegalArgumentException("round must be >= 0 but was " + round);
    }
    if (parentSha256 != null && !SHA256_HEX.matcher(parentSha256).matches()) {
      throw new IllegalArgumentException(
          "parentSha256 must be 64 lowercase hex digits or null but was '" + parentSha256 + "'");
    }
    requireNonBlank("dataset", dataset);
    requireNonBlank("codeVersion", codeVersion);
    requireNonBlank("createdAt", createdAt);
    if (datasetSha256 != null && !SHA256_HEX.matcher(datasetSha256).matches()) {
      throw new IllegalArgumentException(
          "datasetSha256 must be 64 lowercase hex digits or null but was '" + datasetSha256 + "'");
    }
    classNames = classNames == null ? null : List.copyOf(classNames);
    try {
      Instant.parse(createdAt);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "createdAt must be an ISO-8601 timestamp with offset but was '" + createdAt + "'", e);
    }
  }

  /** Provenance without a dataset digest or class names. */
  public Provenance(
      String jobId,
      int round,
      String parentSha256,
      String dataset,
      String codeVersion,
      String createdAt) {
    this(jobId, round, parentSha256, dataset, codeVersion, createdAt, null, null);
  }

  /** Provenance of a checkpoint made from {@code data}: its name, digest and class names. */
  public static Provenance of(
      String jobId,
      int round,
      String parentSha256,
      DatasetDescription data,
      String codeVersion,
      String createdAt) {
    return new Provenance(
        jobId,
        round,
        parentSha256,
        data.name(),
        codeVersion,
        createdAt,
        data.sha256(),
        data.classNames());
  }

  private static void requireNonBlank(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(
          field + " must not be blank but was " + (value == null ? "null" : "'" + value + "'"));
    }
  }
}
