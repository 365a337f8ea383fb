package io.qatfleet.service;

import java.time.Duration;

/**
 * How often and how patiently a record that failed transiently is tried again in the same delivery:
 * {@code attempts} tries in all, waiting {@code initialBackoff} after the first failure and twice
 * as long after each further one, never longer than {@code maxBackoff} (bounded exponential
 * backoff).
 *
 * @param attempts tries in all, at least 1
 * @param initialBackoff wait after the first failure, positive
 * @param maxBackoff the longest wait, at least {@code initialBackoff}
 */
public record RetryPolicy(int attempts, Duration initialBackoff, Duration maxBackoff) {

  public RetryPolicy {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1, got " + attempts);
    }
    if (initialBackoff == null || initialBackoff.isNegative() || initialBackoff.isZero()) {
      throw new IllegalArgumentException("initialBackoff must be positive, got " + initialBackoff);
    }
    if (maxBackoff == null || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "maxBackoff must be at least initialBackoff (" + initialBackoff + "), got " + maxBackoff);
    }
  }

  /** The policy of {@code qat.retry.*}. */
  public static RetryPolicy of(FleetConfig.Retry config) {
    return new RetryPolicy(config.attempts(), config.initialBackoff(), config.maxBackoff());
  }

  /** The wait after the {@code failures}-th failed try (1-based). */
  public Duration backoff(int failures) {
    Duration wait = initialBackoff;
    for (int i = 1; i < failures && wait.compareTo(maxBackoff) < 0; i++) {
      wait = wait.multipliedBy(2);
    }
    return wait.compareTo(maxBackoff) < 0 ? wait : maxBackoff;
  }
}
