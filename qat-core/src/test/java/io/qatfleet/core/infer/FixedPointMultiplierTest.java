package io.qatfleet.core.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class FixedPointMultiplierTest {
  @Test
  void representsMultiplierWithinTwoToMinusThirty() {
    for (double m : new double[] {0.000123, 0.0375, 0.5, 0.999999, 1.0, 3.7}) {
      assertThat(FixedPointMultiplier.of(m).value()).isCloseTo(m, within(m * Math.scalb(1.0, -30)));
    }
  }

  @Test
  void roundsProductToNearest() {
    FixedPointMultiplier quarter = FixedPointMultiplier.of(0.25);
    assertThat(quarter.apply(10)).isEqualTo(3); // 2.5 rounds up
    assertThat(quarter.apply(9)).isEqualTo(2); // 2.25
    assertThat(quarter.apply(11)).isEqualTo(3); // 2.75
    assertThat(FixedPointMultiplier.of(0.001).apply(123_456)).isEqualTo(123); // 123.456
  }
}
