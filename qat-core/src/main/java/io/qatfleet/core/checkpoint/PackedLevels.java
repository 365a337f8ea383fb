package io.qatfleet.core.checkpoint;

import java.util.List;

/**
 * Sub-8-bit integer levels packed into bytes, as quantized checkpoints (format version 2) store
 * weight grids of at most 4 bits: two 4-bit or four 2-bit fields per byte. Layout ({@value
 * #ORDER}): element {@code i} goes into byte {@code i / (8/bits)} at bit offset {@code (i %
 * (8/bits))·bits}, so the first element sits in the least significant bits; each field holds the
 * level in {@code bits}-bit two's complement; the unused high bits of the last byte are zero. The
 * packed tensor is stored as {@link DType#U8} of shape {@code [bytes]}, and {@link Layout} (the
 * field width and the logical shape) travels in the checkpoint's metadata.
 */
public final class PackedLevels {
  /** Name of the layout above, written into the metadata so a reader can check it. */
  public static final String ORDER = "lsb_first_twos_complement";

  private PackedLevels() {}

  /** How one tensor is packed: field width in bits (2 or 4), logical shape, {@link #ORDER}. */
  public record Layout(int bits, List<Long> shape, String order) {
    public Layout {
      if (bits != 2 && bits != 4) {
        throw new IllegalArgumentException("bits: packed fields are 2 or 4 bits wide, got " + bits);
      }
      if (!ORDER.equals(order)) {
        throw new IllegalArgumentException("order: expected '" + ORDER + "', got '" + order + "'");
      }
      shape = List.copyOf(shape);
    }

    public long[] shapeArray() {
      return shape.stream().mapToLong(Long::longValue).toArray();
    }

    public int elementCount() {
      return Math.toIntExact(TensorData.product(shapeArray()));
    }
  }

  /**
   * The narrowest field (2, 4 or 8 bits) whose two's complement range holds {@code [qmin, qmax]}.
   */
  public static int fieldBits(int qmin, int qmax) {
    for (int bits : new int[] {2, 4}) {
      if (qmin >= -(1 << (bits - 1)) && qmax <= (1 << (bits - 1)) - 1) {
        return bits;
      }
    }
    return 8;
  }

  /** Bytes that {@code count} fields of {@code bits} bits occupy. */
  public static int packedLength(int count, int bits) {
    return (int) (((long) count * bits + 7) / 8);
  }

  /**
   * Packs {@code levels} into {@code bits}-bit fields.
   *
   * @throws IllegalArgumentException if a level does not fit the field
   */
  public static byte[] pack(byte[] levels, int bits) {
    int perByte = 8 / bits;
    int min = -(1 << (bits - 1));
    int max = (1 << (bits - 1)) - 1;
    int mask = (1 << bits) - 1;
    byte[] out = new byte[packedLength(levels.length, bits)];
    for (int i = 0; i < levels.length; i++) {
      int v = levels[i];
      if (v < min || v > max) {
        throw new IllegalArgumentException(
            "levels[" + i + "]: " + v + " does not fit a " + bits + "-bit field");
      }
      out[i / perByte] |= (byte) ((v & mask) << ((i % perByte) * bits));
    }
    return out;
  }

  /**
   * Unpacks {@code count} levels of {@code bits} bits.
   *
   * @throws CheckpointException (malformed header) if {@code packed} is not exactly {@link
   *     #packedLength} bytes or the padding bits of the last byte are not zero
   */
  public static byte[] unpack(byte[] packed, int bits, int count, String tensor) {
    int expected = packedLength(count, bits);
    if (packed.length != expected) {
      throw CheckpointException.malformed(
          "packed tensor '"
              + tensor
              + "' has "
              + packed.length
              + " bytes but "
              + count
              + " "
              + bits
              + "-bit levels need "
              + expected,
          null);
    }
    int perByte = 8 / bits;
    int mask = (1 << bits) - 1;
    int unused = expected * perByte - count;
    if (unused > 0 && (packed[expected - 1] & 0xff) >>> ((perByte - unused) * bits) != 0) {
      throw CheckpointException.malformed(
          "packed tensor '" + tensor + "' has non-zero padding bits in its last byte", null);
    }
    byte[] out = new byte[count];
    int shift = 32 - bits;
    for (int i = 0; i < count; i++) {
      int field = (packed[i / perByte] >> ((i % perByte) * bits)) & mask;
      out[i] = (byte) ((field << shift) >> shift);
    }
    return out;
  }
}
