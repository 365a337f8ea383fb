package io.qatfleet.core.checkpoint;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Element types a checkpoint tensor may hold, with the names the safetensors header uses for them.
 * Float weights travel as {@link #F32}; projected integer weights as {@link #I8}, biases at
 * accumulator scale as {@link #I32}, raw image bytes as {@link #U8}.
 */
public enum DType {
  F32("F32", Float.BYTES),
  I32("I32", Integer.BYTES),
  I8("I8", Byte.BYTES),
  U8("U8", Byte.BYTES);

  private final String safetensorsName;
  private final int byteSize;

  DType(String safetensorsName, int byteSize) {
    this.safetensorsName = safetensorsName;
    this.byteSize = byteSize;
  }

  /** The spelling in the {@code dtype} field of a safetensors header, e.g. {@code "F32"}. */
  public String safetensorsName() {
    return safetensorsName;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /**
   * Looks up a dtype by its safetensors spelling.
   *
   * @throws IllegalArgumentException naming the unknown dtype and the supported ones
   */
  public static DType fromSafetensorsName(String name) {
    for (DType d : values()) {
      if (d.safetensorsName.equals(name)) {
        return d;
      }
    }
    throw new IllegalArgumentException(
        "unknown dtype '"
            + name
            + "' (supported: "
            + Arrays.stream(values()).map(DType::safetensorsName).collect(Collectors.joining(", "))
            + ")");
  }
}
