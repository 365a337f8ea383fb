package io.qatfleet.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.core.quant.Granularity;
import io.qatfleet.core.quant.QuantSpec;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PackedLevelsTest {
  @Test
  void choosesNarrowestFieldForEveryWeightGrid() {
    // narrow range: b=2 → {-1..1}, b=3 → {-3..3}, b=4 → {-7..7}; full range b=4 → {-8..7}
    assertThat(fieldBits(QuantSpec.weights(1, Granularity.PER_TENSOR))).isEqualTo(2);
    assertThat(fieldBits(QuantSpec.weights(2, Granularity.PER_TENSOR))).isEqualTo(2);
    assertThat(fieldBits(new QuantSpec(2, true, true, false, Granularity.PER_TENSOR))).isEqualTo(2);
    assertThat(fieldBits(QuantSpec.weights(3, Granularity.PER_TENSOR))).isEqualTo(4);
    assertThat(fieldBits(QuantSpec.weights(4, Granularity.PER_TENSOR))).isEqualTo(4);
    assertThat(fieldBits(new QuantSpec(4, true, true, false, Granularity.PER_TENSOR))).isEqualTo(4);
    assertThat(fieldBits(QuantSpec.weights(5, Granularity.PER_TENSOR))).isEqualTo(8);
    assertThat(fieldBits(QuantSpec.weights(8, Granularity.PER_TENSOR))).isEqualTo(8);
  }

  private static int fieldBits(QuantSpec spec) {
    return PackedLevels.fieldBits(spec.qmin(), spec.qmax());
  }

  @Test
  void packsFourBitFieldsLowNibbleFirst() {
    // -1 = 0b1111, 7 = 0b0111, -8 = 0b1000: bytes 0x7F (7 high, -1 low), 0x08 (padding 0, -8)
    byte[] packed = PackedLevels.pack(new byte[] {-1, 7, -8}, 4);
    assertThat(packed).containsExactly(0x7F, 0x08);
  }

  @Test
  void packsTwoBitFieldsLowBitsFirst() {
    // 1 = 01, -1 = 11, 0 = 00, -2 = 10 → 0b10_00_11_01 = 0x8D; then 1 → 0x01
    byte[] packed = PackedLevels.pack(new byte[] {1, -1, 0, -2, 1}, 2);
    assertThat(packed).containsExactly((byte) 0x8D, 0x01);
  }

  @Test
  void roundTripsEveryWidthAndOddCount() {
    Random random = new Random(7);
    for (int bits : new int[] {2, 4}) {
      int min = -(1 << (bits - 1));
      int span = 1 << bits;
      for (int count : new int[] {0, 1, 2, 3, 5, 7, 9, 31, 1001}) {
        byte[] levels = new byte[count];
        for (int i = 0; i < count; i++) {
          levels[i] = (byte) (min + random.nextInt(span));
        }
        byte[] packed = PackedLevels.pack(levels, bits);
        assertThat(packed).hasSize((count * bits + 7) / 8);
        assertThat(PackedLevels.unpack(packed, bits, count, "t")).containsExactly(levels);
      }
    }
  }

  @Test
  void refusesLevelOutsideField() {
    assertThatThrownBy(() -> PackedLevels.pack(new byte[] {0, 2}, 2))
        .hasMessage("levels[1]: 2 does not fit a 2-bit field");
  }

  @Test
  void rejectsWrongLength() {
    assertThatThrownBy(() -> PackedLevels.unpack(new byte[3], 4, 3, "layer1.weight_q"))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(
            "packed tensor 'layer1.weight_q' has 3 bytes but 3 4-bit levels need 2");
  }

  @Test
  void rejectsNonZeroPadding() {
    assertThatThrownBy(() -> PackedLevels.unpack(new byte[] {0x01, 0x10}, 4, 3, "w"))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("packed tensor 'w' has non-zero padding bits in its last byte");
  }
}
