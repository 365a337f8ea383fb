package io.qatfleet.core.checkpoint;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * A checkpoint in its file form: the safetensors bytes and their SHA-256, which is the checkpoint's
 * id in events, in the store and in file names.
 *
 * @param sha256 lowercase hex SHA-256 of {@code bytes}
 */
public record EncodedCheckpoint(byte[] bytes, String sha256) {

  public EncodedCheckpoint {
    Objects.requireNonNull(bytes, "bytes must not be null");
    Objects.requireNonNull(sha256, "sha256 must not be null");
    if (!CheckpointCodec.isSha256Hex(sha256)) {
      throw new IllegalArgumentException(
          "sha256 must be 64 lowercase hex digits but was '" + sha256 + "'");
    }
    bytes = bytes.clone();
  }

  /** The safetensors bytes (a copy). */
  @Override
  public byte[] bytes() {
    return bytes.clone();
  }

  /** The safetensors bytes, read-only and not copied: for writing them out once. */
  public ByteBuffer view() {
    return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
  }

  /** Length of the file in bytes. */
  public int length() {
    return bytes.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EncodedCheckpoint e
        && sha256.equals(e.sha256)
        && Arrays.equals(bytes, e.bytes);
  }

  @Override
  public int hashCode() {
    return sha256.hashCode();
  }

  @Override
  public String toString() {
    return "EncodedCheckpoint[sha256=" + sha256 + ", " + bytes.length + " bytes]";
  }
}
