package io.qatfleet.core.data;

import java.util.List;
import java.util.Objects;

/**
 * What provenance and reports say about the data a job ran on: a name for people, the canonical
 * digest of its files ({@link SourceDigest}) and the name of each class, by label.
 */
public record DatasetDescription(String name, String sha256, List<String> classNames) {

  public DatasetDescription {
    Objects.requireNonNull(name, "name must not be null");
    Objects.requireNonNull(sha256, "sha256 must not be null");
    classNames = List.copyOf(classNames);
  }
}
