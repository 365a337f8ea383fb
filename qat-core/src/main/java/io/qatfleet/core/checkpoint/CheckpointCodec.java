package io.qatfleet.core.checkpoint;

import static io.qatfleet.core.checkpoint.CanonicalJson.MAPPER;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
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
 */
public final class CheckpointCodec {

  /** Value of the {@code format} metadata entry. */
  public static final String FORMAT = "qat-fleet";

  /** The only {@code format_version} this build writes and reads. */
  public static final String FORMAT_VERSION = "1";

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
   * Decodes {@code bytes} without checking a digest; for tooling that inspects files whose id is
   * unknown. Services receiving a checkpoint use {@link #decode(byte[], String)}.
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
    Map<String, String> metadata = metadata(header);
    CheckpointKind kind = kind(metadata);
    JsonNode modelSpec = json(metadata, "model_spec");
    JsonNode quantization =
        metadata.containsKey("quantization") ? json(metadata, "quantization") : null;
    Provenance provenance = provenance(json(metadata, "provenance"));

    int bufferStart = LENGTH_PREFIX_BYTES + (int) headerLength;
    Map<String, TensorData> tensors =
        tensors(header, bytes, bufferStart, bytes.length - (long) bufferStart);
    try {
      return new Checkpoint(kind, tensors, modelSpec, quantization, provenance);
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
    long offset = 0;
    for (Map.Entry<String, TensorData> e : checkpoint.tensors().entrySet()) {
      TensorData tensor = e.getValue();
      ObjectNode entry = header.putObject(e.getKey());
      entry.put("dtype", tensor.dtype().safetensorsName());
      ArrayNode shape = entry.putArray("shape");
      for (long dim : tensor.shape()) {
        shape.add(dim);
      }
      long end = offset + tensor.byteLength();
      entry.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    ObjectNode metadata = header.putObject(Checkpoint.METADATA_KEY);
    metadata.put("format", FORMAT);
    metadata.put("format_version", FORMAT_VERSION);
    metadata.put("kind", checkpoint.kind().name());
    metadata.put("model_spec", CanonicalJson.write(checkpoint.modelSpec()));
    JsonNode quantization = checkpoint.quantization();
    if (quantization != null) {
      metadata.put("quantization", CanonicalJson.write(quantization));
    }
    metadata.put("provenance", CanonicalJson.write(provenanceJson(checkpoint.provenance())));

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

  private static ObjectNode provenanceJson(Provenance p) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("jobId", p.jobId());
    node.put("round", p.round());
    node.put("parentSha256", p.parentSha256());
    node.put("dataset", p.dataset());
    node.put("codeVersion", p.codeVersion());
    node.put("createdAt", p.createdAt());
    return node;
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

  private static Map<String, String> metadata(JsonNode header) {
    JsonNode node = header.get(Checkpoint.METADATA_KEY);
    if (node == null || !node.isObject()) {
      throw malformed("header has no " + Checkpoint.METADATA_KEY + " object", null);
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      if (!e.getValue().isTextual()) {
        throw malformed(
            Checkpoint.METADATA_KEY
                + " value '"
                + e.getKey()
                + "' must be a string but was "
                + e.getValue().getNodeType(),
            null);
      }
      metadata.put(e.getKey(), e.getValue().textValue());
    }
    String format = required(metadata, "format");
    if (!FORMAT.equals(format)) {
      throw malformed("not a " + FORMAT + " checkpoint: format is '" + format + "'", null);
    }
    String version = required(metadata, "format_version");
    if (!FORMAT_VERSION.equals(version)) {
      throw new CheckpointException(
          Reason.UNSUPPORTED_VERSION,
          "unsupported checkpoint format_version "
              + version
              + " (this build reads "
              + FORMAT_VERSION
              + ")");
    }
    return metadata;
  }

  private static String required(Map<String, String> metadata, String key) {
    String value = metadata.get(key);
    if (value == null) {
      throw malformed(Checkpoint.METADATA_KEY + " has no '" + key + "' entry", null);
    }
    return value;
  }

  private static CheckpointKind kind(Map<String, String> metadata) {
    String kind = required(metadata, "kind");
    try {
      return CheckpointKind.valueOf(kind);
    } catch (IllegalArgumentException e) {
      throw malformed(
          "unknown checkpoint kind '"
              + kind
              + "' (expected one of "
              + Arrays.toString(CheckpointKind.values())
              + ")",
          e);
    }
  }

  private static JsonNode json(Map<String, String> metadata, String key) {
    String text = required(metadata, key);
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw malformed("metadata '" + key + "' is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static Provenance provenance(JsonNode node) {
    if (!node.isObject()) {
      throw malformed("metadata 'provenance' is not a JSON object", null);
    }
    JsonNode round = node.get("round");
    if (round == null || !round.isInt()) {
      throw malformed("provenance 'round' must be an integer but was " + round, null);
    }
    JsonNode parent = node.get("parentSha256");
    try {
      return new Provenance(
          provenanceText(node, "jobId"),
          round.intValue(),
          parent == null || parent.isNull() ? null : provenanceText(node, "parentSha256"),
          provenanceText(node, "dataset"),
          provenanceText(node, "codeVersion"),
          provenanceText(node, "createdAt"));
    } catch (IllegalArgumentException e) {
      throw malformed("invalid provenance: " + e.getMessage(), e);
    }
  }

  private static String provenanceText(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw malformed("provenance '" + field + "' must be a string but was " + value, null);
    }
    return value.textValue();
  }

  private record Slot(String name, DType dtype, long[] shape, long begin, long end) {}

  private static Map<String, TensorData> tensors(
      JsonNode header, byte[] bytes, int bufferStart, long bufferLength) {
    List<Slot> slots = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : header.properties()) {
      if (!e.getKey().equals(Checkpoint.METADATA_KEY)) {
        slots.add(slot(e.getKey(), e.getValue()));
      }
    }
    if (slots.isEmpty()) {
      throw malformed("header declares no tensors", null);
    }
    List<Slot> byOffset = new ArrayList<>(slots);
    byOffset.sort(Comparator.comparingLong(Slot::begin).thenComparingLong(Slot::end));
    long covered = 0;
    String previous = null;
    for (Slot s : byOffset) {
      if (s.begin < covered) {
        throw malformed(
            "tensor '"
                + s.name
                + "' data_offsets ["
                + s.begin
                + ", "
                + s.end
                + "] overlap tensor '"
                + previous
                + "', which ends at "
                + covered,
            null);
      }
      if (s.begin > covered) {
        throw malformed(
            "tensor '"
                + s.name
                + "' data_offsets ["
                + s.begin
                + ", "
                + s.end
                + "] leave buffer bytes ["
                + covered
                + ", "
                + s.begin
                + ") described by no tensor (buffer is "
                + bufferLength
                + " bytes)",
            null);
      }
      covered = s.end;
      previous = s.name;
    }
    if (covered > bufferLength) {
      throw new CheckpointException(
          Reason.TRUNCATED,
          "checkpoint truncated: tensors need "
              + covered
              + " buffer bytes but only "
              + bufferLength
              + " follow the header");
    }
    if (covered < bufferLength) {
      throw malformed(
          (bufferLength - covered)
              + " bytes after the last tensor (at buffer offset "
              + covered
              + ") are described by no tensor",
          null);
    }
    Map<String, TensorData> tensors = new LinkedHashMap<>();
    for (Slot s : slots) {
      byte[] data =
          Arrays.copyOfRange(bytes, bufferStart + (int) s.begin, bufferStart + (int) s.end);
      tensors.put(s.name, new TensorData(s.dtype, s.shape, data));
    }
    return tensors;
  }

  private static Slot slot(String name, JsonNode entry) {
    if (!entry.isObject()) {
      throw malformed("tensor '" + name + "' entry is not a JSON object", null);
    }
    JsonNode dtypeNode = entry.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw malformed("tensor '" + name + "' has no string dtype", null);
    }
    DType dtype;
    try {
      dtype = DType.fromSafetensorsName(dtypeNode.textValue());
    } catch (IllegalArgumentException e) {
      throw malformed("tensor '" + name + "' has " + e.getMessage(), e);
    }
    long[] shape = longs(name, "shape", entry.get("shape"));
    long[] offsets = longs(name, "data_offsets", entry.get("data_offsets"));
    if (offsets.length != 2 || offsets[0] > offsets[1]) {
      throw malformed(
          "tensor '"
              + name
              + "' data_offsets "
              + Arrays.toString(offsets)
              + " must be two offsets [begin, end] with begin <= end",
          null);
    }
    long expected;
    try {
      expected = TensorData.byteCount(dtype, shape);
    } catch (IllegalArgumentException e) {
      throw malformed("tensor '" + name + "': " + e.getMessage(), e);
    }
    if (offsets[1] - offsets[0] != expected) {
      throw malformed(
          "tensor '"
              + name
              + "' data_offsets "
              + Arrays.toString(offsets)
              + " span "
              + (offsets[1] - offsets[0])
              + " bytes but "
              + dtype
              + " "
              + Arrays.toString(shape)
              + " needs "
              + expected,
          null);
    }
    return new Slot(name, dtype, shape, offsets[0], offsets[1]);
  }

  private static long[] longs(String tensor, String field, JsonNode node) {
    if (node == null || !node.isArray()) {
      throw malformed("tensor '" + tensor + "' has no " + field + " array", null);
    }
    long[] values = new long[node.size()];
    for (int i = 0; i < values.length; i++) {
      JsonNode v = node.get(i);
      if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
        throw malformed(
            "tensor '"
                + tensor
                + "' "
                + field
                + "["
                + i
                + "] must be a non-negative integer but was "
                + v,
            null);
      }
      values[i] = v.longValue();
    }
    return values;
  }

  private static CheckpointException malformed(String detail, Throwable cause) {
    return new CheckpointException(
        Reason.MALFORMED_HEADER, "malformed checkpoint header: " + detail, cause);
  }
}
