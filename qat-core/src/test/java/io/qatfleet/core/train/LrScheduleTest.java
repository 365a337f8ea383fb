package io.qatfleet.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LrScheduleTest {
  @Test
  void cosineGoesFromOneToZeroThroughHalf() {
    // 0.5·(1 + cos(π·t)) at t = 0, 1/2, 1 over 101 steps (t = step/100)
    assertThat(LrSchedule.COSINE.factor(0, 101)).isEqualTo(1.0);
    assertThat(LrSchedule.COSINE.factor(50, 101)).isCloseTo(0.5, within(1e-12));
    assertThat(LrSchedule.COSINE.factor(100, 101)).isCloseTo(0.0, within(1e-12));
  }

  @Test
  void stepDecaysTenfoldAtHalfAndThreeQuarters() {
    assertThat(LrSchedule.STEP.factor(49, 100)).isEqualTo(1.0);
    assertThat(LrSchedule.STEP.factor(50, 100)).isEqualTo(0.1);
    assertThat(LrSchedule.STEP.factor(75, 100)).isEqualTo(0.01);
  }

  @Test
  void constantStaysAtOne() {
    assertThat(LrSchedule.CONSTANT.factor(99, 100)).isEqualTo(1.0);
  }
}
