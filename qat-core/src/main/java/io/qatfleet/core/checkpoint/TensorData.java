package io.qatfleet.core.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor as a checkpoint stores it: a dtype, a shape and the raw little-endian element bytes in
 * row-major order, exactly as they appear in the safetensors byte buffer. Producers build it from
 * Java arrays with the {@code of*} factories; consumers read it back with the typed accessors.
 * Arrays are copied in and out, so an instance is immutable and compares by content.
 */
public record TensorData(DType dtype, long[] shape, byte[] data) {

  public TensorData {
    Objects.requireNonNull(dtype, "dtype must not be null");
    Objects.requireNonNull(shape, "shape must not be null");
    Objects.requireNonNull(data, "data must not be null");
    shape = shape.clone();
    long expectedBytes = byteCount(dtype, shape);
    if (data.length != expectedBytes) {
      throw new IllegalArgumentException(
          "data has "
              + data.length
              + " bytes but "
              + dtype
              + " "
              + Arrays.toString(shape)
              + " needs "
              + expectedBytes);
    }
    data = data.clone();
  }

  /** A {@link DType#F32} tensor holding {@code values} in row-major order. */
  public static TensorData ofFloats(long[] shape, float[] values) {
    checkCount(shape, values.length);
    ByteBuffer buf =
        ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(values);
    return new TensorData(DType.F32, shape, buf.array());
  }

  /** An {@link DType#I32} tensor holding {@code values} in row-major order. */
  public static TensorData ofInts(long[] shape, int[] values) {
    checkCount(shape, values.length);
    ByteBuffer buf =
        ByteBuffer.allocate(values.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buf.asIntBuffer().put(values);
    return new TensorData(DType.I32, shape, buf.array());
  }

  /** An {@link DType#I8} tensor holding the signed bytes {@code values} in row-major order. */
  public static TensorData ofInt8(long[] shape, byte[] values) {
    checkCount(shape, values.length);
    return new TensorData(DType.I8, shape, values);
  }

  /**
   * A {@link DType#U8} tensor holding the unsigned bytes {@code values} (packed levels, pixels).
   */
  public static TensorData ofUint8(long[] shape, byte[] values) {
    checkCount(shape, values.length);
    return new TensorData(DType.U8, shape, values);
  }

  /** The shape (a copy). */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** The raw little-endian element bytes (a copy). */
  @Override
  public byte[] data() {
    return data.clone();
  }

  /** Product of the shape; 1 for a scalar (empty shape). */
  public long elementCount() {
    return product(shape);
  }

  /**
   * The elements of an {@link DType#F32} tensor.
   *
   * @throws IllegalStateException if the tensor has another dtype
   */
  public float[] floats() {
    requireDtype(DType.F32, "floats()");
    float[] out = new float[data.length / Float.BYTES];
    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  /**
   * The elements of an {@link DType#I32} tensor.
   *
   * @throws IllegalStateException if the tensor has another dtype
   */
  public int[] ints() {
    requireDtype(DType.I32, "ints()");
    int[] out = new int[data.length / Integer.BYTES];
    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
    return out;
  }

  /**
   * The elements of an {@link DType#I8} tensor.
   *
   * @throws IllegalStateException if the tensor has another dtype
   */
  public byte[] int8() {
    requireDtype(DType.I8, "int8()");
    return data.clone();
  }

  /**
   * The raw bytes of a {@link DType#U8} tensor.
   *
   * @throws IllegalStateException if the tensor has another dtype
   */
  public byte[] uint8() {
    requireDtype(DType.U8, "uint8()");
    return data.clone();
  }

  /** Number of raw bytes, without copying them. */
  int byteLength() {
    return data.length;
  }

  /** Copies the raw bytes into {@code dest} at {@code offset}, without an intermediate copy. */
  void copyBytesTo(byte[] dest, int offset) {
    System.arraycopy(data, 0, dest, offset, data.length);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorData t
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && Arrays.equals(data, t.data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "TensorData[" + dtype + " " + Arrays.toString(shape) + ", " + data.length + " bytes]";
  }

  private void requireDtype(DType wanted, String accessor) {
    if (dtype != wanted) {
      throw new IllegalStateException(
          accessor + " needs a " + wanted + " tensor but this tensor's dtype is " + dtype);
    }
  }

  private static void checkCount(long[] shape, int count) {
    Objects.requireNonNull(shape, "shape must not be null");
    long expected = product(shape);
    if (expected != count) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " needs " + expected + " values but got " + count);
    }
  }

  /**
   * Number of elements of {@code shape}.
   *
   * @throws IllegalArgumentException for a negative dimension or a count beyond {@code long}
   */
  static long product(long[] shape) {
    long n = 1;
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] < 0) {
        throw new IllegalArgumentException(
            "shape[" + i + "] must be non-negative but was " + shape[i]);
      }
      try {
        n = Math.multiplyExact(n, shape[i]);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException(
            "shape " + Arrays.toString(shape) + " has too many elements", e);
      }
    }
    return n;
  }

  /** Bytes that a tensor of {@code dtype} and {@code shape} occupies. */
  static long byteCount(DType dtype, long[] shape) {
    try {
      return Math.multiplyExact(product(shape), dtype.byteSize());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " has too many bytes for " + dtype, e);
    }
  }
}
