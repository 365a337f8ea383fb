package io.qatfleet.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Bounded exponential backoff: doubled after each failure, capped. */
class RetryPolicyTest {

  @Test
  void doublesTheWaitAfterEachFailureUpToTheCap() {
    RetryPolicy policy = new RetryPolicy(6, Duration.ofMillis(500), Duration.ofSeconds(3));
    // 0.5, 1, 2, then 4 and 8 capped at 3.
    assertThat(policy.backoff(1)).isEqualTo(Duration.ofMillis(500));
    assertThat(policy.backoff(2)).isEqualTo(Duration.ofSeconds(1));
    assertThat(policy.backoff(3)).isEqualTo(Duration.ofSeconds(2));
    assertThat(policy.backoff(4)).isEqualTo(Duration.ofSeconds(3));
    assertThat(policy.backoff(50)).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void rejectsACapBelowTheFirstWait() {
    assertThatThrownBy(() -> new RetryPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxBackoff");
  }

  @Test
  void rejectsZeroAttempts() {
    assertThatThrownBy(() -> new RetryPolicy(0, Duration.ofSeconds(1), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("attempts must be at least 1, got 0");
  }
}
