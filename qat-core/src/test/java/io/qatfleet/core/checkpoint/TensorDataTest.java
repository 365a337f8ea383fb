package io.qatfleet.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TensorDataTest {

  @Test
  void storesFloatsAsLittleEndianIeee754() {
    // 1.0f = 0x3F800000 and -2.0f = 0xC0000000; little-endian puts the low byte first.
    TensorData t = TensorData.ofFloats(new long[] {2}, new float[] {1.0f, -2.0f});

    assertThat(t.data()).containsExactly(0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, (byte) 0xC0);
  }

  @Test
  void storesIntsAsLittleEndian() {
    TensorData t = TensorData.ofInts(new long[] {2}, new int[] {0x01020304, -1});

    assertThat(t.data()).containsExactly(0x04, 0x03, 0x02, 0x01, 0xFF, 0xFF, 0xFF, 0xFF);
  }

  @Test
  void readsBackFloatsIntsAndInt8() {
    float[] floats = {0.5f, -3.25f, Float.MIN_VALUE, Float.NaN, 0f, 1e30f};
    int[] ints = {Integer.MIN_VALUE, -7, 0, Integer.MAX_VALUE};
    byte[] int8 = {-128, -1, 0, 127};

    assertThat(TensorData.ofFloats(new long[] {2, 3}, floats).floats()).containsExactly(floats);
    assertThat(TensorData.ofInts(new long[] {4}, ints).ints()).containsExactly(ints);
    assertThat(TensorData.ofInt8(new long[] {2, 2}, int8).int8()).containsExactly(int8);
  }

  @Test
  void rejectsDataLengthNotMatchingShape() {
    assertThatThrownBy(() -> new TensorData(DType.F32, new long[] {2, 3}, new byte[20]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("data has 20 bytes")
        .hasMessageContaining("needs 24");
  }

  @Test
  void rejectsValueCountNotMatchingShape() {
    assertThatThrownBy(() -> TensorData.ofInts(new long[] {3}, new int[] {1, 2}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs 3 values but got 2");
  }

  @Test
  void rejectsNegativeDimension() {
    assertThatThrownBy(() -> new TensorData(DType.I8, new long[] {2, -1}, new byte[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("shape[1] must be non-negative but was -1");
  }

  @Test
  void rejectsTypedAccessOfOtherDtype() {
    TensorData ints = TensorData.ofInts(new long[] {1}, new int[] {1});

    assertThatThrownBy(ints::floats)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("floats() needs a F32 tensor")
        .hasMessageContaining("I32");
  }

  @Test
  void countsScalarAsOneElement() {
    assertThat(TensorData.ofFloats(new long[0], new float[] {4f}).elementCount()).isEqualTo(1);
    assertThat(TensorData.ofFloats(new long[] {3, 0}, new float[0]).elementCount()).isZero();
  }

  @Test
  void comparesByContent() {
    TensorData a = TensorData.ofInt8(new long[] {2}, new byte[] {1, 2});
    TensorData same = new TensorData(DType.I8, new long[] {2}, new byte[] {1, 2});
    TensorData otherShape = TensorData.ofInt8(new long[] {1, 2}, new byte[] {1, 2});
    TensorData otherDtype = new TensorData(DType.U8, new long[] {2}, new byte[] {1, 2});

    assertThat(a).isEqualTo(same).hasSameHashCodeAs(same);
    assertThat(a).isNotEqualTo(otherShape).isNotEqualTo(otherDtype);
  }

  @Test
  void copiesArraysInAndOut() {
    byte[] values = {1, 2};
    TensorData t = TensorData.ofInt8(new long[] {2}, values);
    values[0] = 9;
    t.data()[1] = 9;

    assertThat(t.int8()).containsExactly(1, 2);
  }
}
