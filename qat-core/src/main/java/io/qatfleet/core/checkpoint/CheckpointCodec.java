package io.qatfleet.core.checkpoint;

import static io.qatfleet.core.checkpoint.CanonicalJson.MAPPER;
import static io.qatfleet.core.checkpoint.CheckpointException.malformed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qatfleet.core.checkpoint.CheckpointException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Converts {@link Checkpoint}s to and from safetensors bytes, and to and from content-addressed
 * files named {@code <sha256>.safetensors}.
 *
 * <p>Layout (the safetensors format): an unsigned 64-bit little-endian header length {@code N};
 * {@code N} bytes of UTF-8 JSON mapping each tensor name to its {@code dtype}, {@code shape} and
 * {@code data_offsets} (begin and end, relative to the start of the byte buffer), plus a {@code
 * __metadata__} object of string values; then the byte buffer, tensors back to back in order. The
 * header is padded with spaces to a multiple of 8 bytes so the buffer is aligned. Metadata holds
 * {@code format} ({@value #FORMAT}), {@code format_version} ({@value #FORMAT_VERSION}), {@code
 * kind}, and the JSON texts {@code model_spec}, {@code quantization} (absent when null) and {@code
 * provenance}.
 *
 * <p>Encoding is deterministic, so a checkpoint's SHA-256 is a stable id. Decoding trusts nothing:
 * the digest is checked before the bytes are parsed, and a header that does not describe exactly
 * the bytes that follow it is rejected with a {@link CheckpointException} saying why. Instances are
 * stateless and thread-safe.
 *
 * <p>This class frames the file (length prefix, padding, digest, files); {@link TensorTable} writes
 * and checks the tensor entries of the header, {@link CheckpointMetadata} its metadata.
 */
public final class CheckpointCodec {

  /** Value of the {@code format} metadata entry. */
  public static final String FORMAT = "qat-fleet";

  /**
   * The {@code format_version} this build writes: 2, where a quantized checkpoint may hold weight
   * levels packed below 8 bits ({@link PackedLevels}, layout in its quantization metadata).
   */
  public static final String FORMAT_VERSION = "2";

  /** Every {@code format_version} this build reads: 1 (levels one per byte, never packed) and 2. */
  public static final java.util.List<String> READABLE_VERSIONS = java.util.List.of("1", "2");

  /** Largest header accepted; the same bound the reference safetensors reader applies. */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  /** File name suffix of a written checkpoint. */
  public static final String FILE_SUFFIX = ".safetensors";

  private static final int LENGTH_PREFIX_BYTES = Long.BYTES;
  private static final int HEADER_ALIGNMENT = 8;

  /** Encodes {@code checkpoint} and computes its digest. */
  public EncodedCheckpoint encode(Checkpoint checkpoint) {
    byte[] bytes = encodeBytes(checkpoint);
    return new EncodedCheckpoint(bytes, sha256(bytes));
  }

  /**
   * Verifies that {@code bytes} hash to {@code expectedSha256}, then decodes them.
   *
   * @throws CheckpointException with {@link Reason#DIGEST_MISMATCH} before any parsing if the
   *     digest differs, or with the reason the bytes could not be decoded
   * @throws IllegalArgumentException if {@code expectedSha256} is not 64 hex digits
   */
  public Checkpoint decode(byte[] bytes, String expectedSha256) {
    Objects.requireNonNull(bytes, "bytes must not be null");
    String expected = normaliseDigest(expectedSha256);
    String actual = sha256(bytes);
    if (!actual.equals(expected)) {
      throw new CheckpointException(
          Reason.DIGEST_MISMATCH,
          "digest mismatch: expected " + expected + " but bytes hash to " + actual);
    }
    return decode(bytes);
  }

  /**
   * Decodes {@code bytes} without checking a digest: for bytes a checkpoint store returned (it
   * verified them against their reference already, so hashing them again would only cost a pass)
   * and for tooling that inspects files whose id is unknown. Bytes from anywhere else go through
   * {@link #decode(byte[], String)}. The structure is checked either way.
   *
   * @throws CheckpointException with the reason the bytes could not be decoded
   */
  public Checkpoint decode(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes must not be null");
    if (bytes.length < LENGTH_PREFIX_BYTES) {
      throw new CheckpointException(
          Reason.TRUNCATED,
          "checkpoint truncated: "
              + bytes.length
              + " bytes, fewer than the 8-byte header length prefix");
    }
    long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    long available = bytes.length - LENGTH_PREFIX_BYTES;
    if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
      throw new CheckpointException(
          Reason.MALFORMED_HEADER,
          "malformed checkpoint header: declared length "
              + Long.toUnsignedString(headerLength)
              + " exceeds the "
              + MAX_HEADER_BYTES
              + "-byte limit");
    }
    if (headerLength > available) {
      throw new CheckpointException(
          Reason.TRUNCATED,
          "checkpoint truncated: header declares "
              + headerLength
              + " bytes but only "
              + available
              + " follow");
    }
    JsonNode header = parseHeader(bytes, (int) headerLength);
    CheckpointMetadata.Parsed metadata = CheckpointMetadata.read(header);

    int bufferStart = LENGTH_PREFIX_BYTES + (int) headerLength;
    Map<String, TensorData> tensors =
        TensorTable.read(header, bytes, bufferStart, bytes.length - (long) bufferStart);
    try {
      return new Checkpoint(
          metadata.kind(),
          tensors,
          metadata.modelSpec(),
          metadata.quantization(),
          metadata.provenance());
    } catch (IllegalArgumentException e) {
      throw malformed("inconsistent metadata: " + e.getMessage(), e);
    }
  }

  /**
   * Writes {@code checkpoint} to {@code dir/<sha256>.safetensors}, creating {@code dir} if needed.
   * The bytes go to a temporary file in the same directory that is flushed to disk and then
   * renamed, so readers never see a partial checkpoint under its final name.
   *
   * @return the path of the written file
   */
  public Path write(Path dir, Checkpoint checkpoint) throws IOException {
    byte[] bytes = encodeBytes(checkpoint);
    String sha = sha256(bytes);
    Files.createDirectories(dir);
    Path target = dir.resolve(sha + FILE_SUFFIX);
    Path temp = dir.resolve("." + sha + "." + UUID.randomUUID() + ".tmp");
    try {
      try (FileChannel channel =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    return target;
  }

  /**
   * Reads the checkpoint file at {@code file} and decodes it after verifying its digest.
   *
   * @throws CheckpointException as {@link #decode(byte[], String)}
   */
  public Checkpoint read(Path file, String expectedSha256) throws IOException {
    return decode(Files.readAllBytes(file), expectedSha256);
  }

  /** Lowercase hex SHA-256 of {@code bytes}. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  static boolean isSha256Hex(String s) {
    return s != null
        && s.length() == 64
        && s.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }

  private static String normaliseDigest(String sha256) {
    String lower = sha256 == null ? null : sha256.toLowerCase(Locale.ROOT);
    if (!isSha256Hex(lower)) {
      throw new IllegalArgumentException(
          "expectedSha256 must be 64 hex digits but was "
              + (sha256 == null ? "null" : "'" + sha256 + "'"));
    }
    return lower;
  }

  private static byte[] encodeBytes(Checkpoint checkpoint) {
    Objects.requireNonNull(checkpoint, "checkpoint must not be null");
    ObjectNode header = MAPPER.createObjectNode();
    long offset = TensorTable.write(header, checkpoint.tensors());
    CheckpointMetadata.write(header, checkpoint);

    byte[] json = CanonicalJson.write(header).getBytes(StandardCharsets.UTF_8);
    int paddedLength = (json.length + HEADER_ALIGNMENT - 1) / HEADER_ALIGNMENT * HEADER_ALIGNMENT;
    long total = LENGTH_PREFIX_BYTES + (long) paddedLength + offset;
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "checkpoint of " + total + " bytes is too large to encode into one byte array");
    }
    byte[] out = new byte[(int) total];
    ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(paddedLength);
    System.arraycopy(json, 0, out, LENGTH_PREFIX_BYTES, json.length);
    Arrays.fill(
        out, LENGTH_PREFIX_BYTES + json.length, LENGTH_PREFIX_BYTES + paddedLength, (byte) ' ');
    int position = LENGTH_PREFIX_BYTES + paddedLength;
    for (TensorData tensor : checkpoint.tensors().values()) {
      tensor.copyBytesTo(out, position);
      position += tensor.byteLength();
    }
    return out;
  }

  private static JsonNode parseHeader(byte[] bytes, int length) {
    if (length == 0 || bytes[LENGTH_PREFIX_BYTES] != '{') {
      throw malformed("header does not start with '{'", null);
    }
    String text;
    try {
      CharBuffer chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes, LENGTH_PREFIX_BYTES, length));
      text = chars.toString();
    } catch (CharacterCodingException e) {
      throw malformed("header is not valid UTF-8", e);
    }
    JsonNode header;
    try {
      header = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw malformed("header is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (!header.isObject()) {
      throw malformed("header is not a JSON object", null);
    }
    return header;
  }
}
