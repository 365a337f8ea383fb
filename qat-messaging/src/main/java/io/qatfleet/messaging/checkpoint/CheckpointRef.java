package io.qatfleet.messaging.checkpoint;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The content address of a checkpoint: the SHA-256 of its bytes (64 lowercase hex digits) and its
 * length. Events carry this reference instead of the checkpoint itself; a {@link CheckpointStore}
 * turns it back into verified bytes.
 *
 * @param sha256 lowercase hex SHA-256 digest of the checkpoint file
 * @param bytes length of the checkpoint file in bytes
 */
public record CheckpointRef(String sha256, long bytes) {

  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  public CheckpointRef {
    if (sha256 == null || !SHA256_HEX.matcher(sha256).matches()) {
      throw new IllegalArgumentException(
          "sha256 must be 64 lowercase hex digits, was " + quote(sha256));
    }
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes must be >= 0, was " + bytes);
    }
  }

  /** The reference of {@code content}: its SHA-256 and length. */
  public static CheckpointRef of(byte[] content) {
    return new CheckpointRef(sha256Hex(content), content.length);
  }

  /** Lowercase hex SHA-256 of {@code content}. */
  public static String sha256Hex(byte[] content) {
    return HexFormat.of().formatHex(newSha256().digest(content));
  }

  /** A fresh SHA-256 digest; every JVM is required to provide one. */
  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** First 12 hex digits, for log lines. */
  public String shortId() {
    return sha256.substring(0, 12);
  }

  private static String quote(String s) {
    return s == null ? "null" : "'" + s + "'";
  }
}
