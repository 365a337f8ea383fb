package io.qatfleet.core.checkpoint;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * Where a checkpoint came from: the job and QAT round that produced it, the checkpoint it was
 * derived from, the dataset it was trained or calibrated on, the code that made it and when. Stored
 * in the checkpoint's {@code __metadata__} so a file alone explains its lineage.
 *
 * @param parentSha256 SHA-256 of the checkpoint this one started from, or {@code null} for a model
 *     trained from scratch
 * @param createdAt an ISO-8601 timestamp with offset, e.g. {@code 2025-11-26T22:22:00Z}
 */
public record Provenance(
    String jobId,
    int round,
    String parentSha256,
    String dataset,
    String codeVersion,
    String createdAt) {

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
    try {
      Instant.parse(createdAt);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "createdAt must be an ISO-8601 timestamp with offset but was '" + createdAt + "'", e);
    }
  }

  private static void requireNonBlank(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(
          field + " must not be blank but was " + (value == null ? "null" : "'" + value + "'"));
    }
  }
}
