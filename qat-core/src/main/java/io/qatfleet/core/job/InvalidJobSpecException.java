package io.qatfleet.core.job;

import java.util.List;

/** A job spec that cannot run; {@link #violations()} names every bad field and value. */
public class InvalidJobSpecException extends IllegalArgumentException {
  private final List<String> violations;

  public InvalidJobSpecException(List<String> violations) {
    super("invalid job spec: " + String.join("; ", violations));
    this.violations = List.copyOf(violations);
  }

  public List<String> violations() {
    return violations;
  }
}
