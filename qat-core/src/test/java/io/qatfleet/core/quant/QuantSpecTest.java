package io.qatfleet.core.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class QuantSpecTest {
  @Test
  void rejectsZeroBits() {
    assertThatThrownBy(() -> QuantSpec.weights(0, Granularity.PER_TENSOR))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bits")
        .hasMessageContaining("got 0");
  }

  @Test
  void rejectsNineBits() {
    assertThatThrownBy(() -> QuantSpec.unsignedActivations(9))
        .hasMessageContaining("bits")
        .hasMessageContaining("got 9");
  }

  @Test
  void rejectsPerChannelOnScalar() {
    QuantSpec spec = QuantSpec.weights(4, Granularity.PER_CHANNEL);
    assertThatThrownBy(() -> spec.scaleCount(new long[0]))
        .hasMessageContaining("granularity")
        .hasMessageContaining("scalar");
  }

  @Test
  void rejectsNarrowRangeOnUnsigned() {
    assertThatThrownBy(() -> new QuantSpec(4, false, true, true, Granularity.PER_TENSOR))
        .hasMessageContaining("narrowRange");
  }

  @Test
  void rejectsMissingGranularity() {
    assertThatThrownBy(() -> new QuantSpec(4, true, true, false, null))
        .hasMessageContaining("granularity");
  }

  @Test
  void computesGridBounds() {
    // 4-bit signed narrow: [-7, 7]; full: [-8, 7]; unsigned: [0, 15]; 8-bit narrow [-127, 127].
    assertThat(QuantSpec.weights(4, Granularity.PER_TENSOR).qmin()).isEqualTo(-7);
    assertThat(new QuantSpec(4, true, true, false, Granularity.PER_TENSOR).qmin()).isEqualTo(-8);
    assertThat(QuantSpec.unsignedActivations(4).qmax()).isEqualTo(15);
    assertThat(QuantSpec.weights(8, Granularity.PER_TENSOR).qn()).isEqualTo(127);
  }

  @Test
  void flagsOneBitAsWeakForSte() {
    QuantSpec binary = QuantSpec.weights(1, Granularity.PER_TENSOR);
    assertThat(binary.weakForSte()).isTrue();
    assertThat(binary.narrowRange()).isFalse();
    assertThat(binary.qmin()).isEqualTo(-1);
    assertThat(binary.qmax()).isZero();
  }

  @Test
  void countsScalesPerOutputChannel() {
    assertThat(QuantSpec.weights(8, Granularity.PER_CHANNEL).scaleCount(new long[] {3, 3, 1, 32}))
        .isEqualTo(32);
    assertThat(QuantSpec.weights(8, Granularity.PER_TENSOR).scaleCount(new long[] {3, 3, 1, 32}))
        .isEqualTo(1);
  }
}
