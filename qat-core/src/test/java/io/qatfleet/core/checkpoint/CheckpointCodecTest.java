package io.qatfleet.core.checkpoint;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qatfleet.core.checkpoint.CheckpointException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointCodecTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PARENT = "ab".repeat(32);

  private static final String KNOWN_HEADER =
      "{\"conv/kernel\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}"
          + ",\"conv/bias\":{\"dtype\":\"I32\",\"shape\":[3],\"data_offsets\":[24,36]}"
          + ",\"dense/q\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[36,40]}"
          + ",\"__metadata__\":{\"format\":\"qat-fleet\",\"format_version\":\"2\",\"kind\":\"QUANTIZED\""
          + ",\"model_spec\":\"{\\\"Arch\\\":\\\"cnn\\\""
          + ",\\\"layers\\\":[{\\\"activation\\\":\\\"relu\\\",\\\"filters\\\":3,\\\"init\\\":{\\\"a\\\":true,\\\"gain\\\":1.5,\\\"seed\\\":7},\\\"type\\\":\\\"conv\\\"}]"
          + ",\\\"learningRate\\\":0.001,\\\"name\\\":\\\"modèle-α\\\",\\\"zeta\\\":1}\""
          + ",\"quantization\":\"{\\\"bits\\\":8,\\\"scales\\\":{\\\"conv/kernel\\\":0.015625,\\\"dense/q\\\":0.5},\\\"scheme\\\":\\\"lsq\\\"}\""
          + ",\"provenance\":\"{\\\"jobId\\\":\\\"job-42\\\",\\\"round\\\":3"
          + ",\\\"parentSha256\\\":\\\"abababababababababababababababababababababababababababababababab\\\""
          + ",\\\"dataset\\\":\\\"fashion-mnist\\\",\\\"codeVersion\\\":\\\"0.1.0+abc\\\",\\\"createdAt\\\":\\\"2025-11-26T22:22:00Z\\\"}\"}}";
  private static final String KNOWN_SHA256 =
      "bcd6a70de22d270bad64ce18adced0f3e572495eb7a01889a642986eb40a405f";

  private final CheckpointCodec codec = new CheckpointCodec();

  /**
   * Three tensors laid out back to back: conv/kernel F32 [2,3] = 24 bytes at [0,24), conv/bias I32
   * [3] = 12 bytes at [24,36), dense/q I8 [4] = 4 bytes at [36,40); 40 buffer bytes in all.
   */
  private static Checkpoint sample() {
    Map<String, TensorData> tensors = new LinkedHashMap<>();
    tensors.put(
        "conv/kernel",
        TensorData.ofFloats(new long[] {2, 3}, new float[] {0.5f, -1f, 2f, 0f, 3.25f, -0.125f}));
    tensors.put("conv/bias", TensorData.ofInts(new long[] {3}, new int[] {1, -2, 300}));
    tensors.put("dense/q", TensorData.ofInt8(new long[] {4}, new byte[] {-128, -1, 0, 127}));
    ObjectNode spec = JSON.createObjectNode().put("arch", "cnn");
    spec.putArray("layers").addObject().put("type", "conv").put("filters", 3);
    ObjectNode quant = JSON.createObjectNode().put("bits", 8).put("scheme", "lsq");
    quant.putObject("scales").put("conv/kernel", 0.015625);
    Provenance provenance =
        new Provenance("job-42", 3, PARENT, "fashion-mnist", "0.1.0+abc", "2025-11-26T22:22:00Z");
    return new Checkpoint(CheckpointKind.QUANTIZED, tensors, spec, quant, provenance);
  }

  private static String sha256Hex(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static long headerLength(byte[] file) {
    long n = 0;
    for (int i = 0; i < 8; i++) {
      n |= (file[i] & 0xFFL) << (8 * i);
    }
    return n;
  }

  /** Builds a file by hand: 8-byte little-endian length, space-padded header, buffer. */
  private static byte[] assemble(String header, byte[] buffer) {
    byte[] h = header.getBytes(UTF_8);
    int n = (h.length + 7) / 8 * 8;
    byte[] out = new byte[8 + n + buffer.length];
    for (int i = 0; i < 8; i++) {
      out[i] = (byte) ((long) n >>> (8 * i));
    }
    System.arraycopy(h, 0, out, 8, h.length);
    Arrays.fill(out, 8 + h.length, 8 + n, (byte) ' ');
    System.arraycopy(buffer, 0, out, 8 + n, buffer.length);
    return out;
  }

  private static ObjectNode metadata(String formatVersion) {
    ObjectNode provenance =
        JSON.createObjectNode()
            .put("jobId", "j")
            .put("round", 0)
            .put("dataset", "mnist")
            .put("codeVersion", "t")
            .put("createdAt", "2025-01-01T00:00:00Z");
    return JSON.createObjectNode()
        .put("format", "qat-fleet")
        .put("format_version", formatVersion)
        .put("kind", "FLOAT")
        .put("model_spec", "{}")
        .put("provenance", provenance.toString());
  }

  private static String header(String tensorEntries) {
    return "{" + tensorEntries + ",\"__metadata__\":" + metadata("1") + "}";
  }

  private CheckpointException decodeFailure(byte[] bytes) {
    return catchThrowableOfType(CheckpointException.class, () -> codec.decode(bytes));
  }

  @Test
  void roundTripsCheckpoint() {
    Checkpoint original = sample();
    EncodedCheckpoint encoded = codec.encode(original);

    assertThat(codec.decode(encoded.bytes(), encoded.sha256())).isEqualTo(original);
  }

  @Test
  void encodedViewIsTheBytesReadOnly() {
    EncodedCheckpoint encoded = codec.encode(sample());
    java.nio.ByteBuffer view = encoded.view();
    byte[] seen = new byte[view.remaining()];
    view.duplicate().get(seen);

    assertThat(seen).isEqualTo(encoded.bytes());
    assertThat(encoded.length()).isEqualTo(seen.length);
    assertThat(view.isReadOnly()).isTrue();
  }

  @Test
  void roundTripsTensorValues() {
    Checkpoint decoded = codec.decode(codec.encode(sample()).bytes());

    assertThat(decoded.tensors().keySet()).containsExactly("conv/kernel", "conv/bias", "dense/q");
    assertThat(decoded.tensor("conv/kernel").shape()).containsExactly(2, 3);
    assertThat(decoded.tensor("conv/kernel").floats())
        .containsExactly(0.5f, -1f, 2f, 0f, 3.25f, -0.125f);
    assertThat(decoded.tensor("conv/bias").ints()).containsExactly(1, -2, 300);
    assertThat(decoded.tensor("dense/q").int8()).containsExactly(-128, -1, 0, 127);
  }

  @Test
  void roundTripsMetadataAndProvenance() {
    Checkpoint decoded = codec.decode(codec.encode(sample()).bytes());

    assertThat(decoded.kind()).isEqualTo(CheckpointKind.QUANTIZED);
    assertThat(decoded.modelSpec().at("/layers/0/filters").intValue()).isEqualTo(3);
    assertThat(decoded.quantization().at("/scales/conv~1kernel").doubleValue()).isEqualTo(0.015625);
    assertThat(decoded.provenance())
        .isEqualTo(
            new Provenance(
                "job-42", 3, PARENT, "fashion-mnist", "0.1.0+abc", "2025-11-26T22:22:00Z"));
  }

  @Test
  void roundTripsDatasetDigestAndClassNames() {
    Checkpoint original =
        new Checkpoint(
            CheckpointKind.FLOAT,
            Map.of("w", TensorData.ofFloats(new long[] {1}, new float[] {7f})),
            JSON.createObjectNode().put("arch", "mlp"),
            null,
            Provenance.of(
                "j",
                0,
                null,
                new io.qatfleet.core.data.DatasetDescription(
                    "imageFolder:/data/insects", PARENT, java.util.List.of("ant", "bee")),
                "t",
                "2025-01-01T00:00:00Z"));

    Checkpoint decoded = codec.decode(codec.encode(original).bytes());

    assertThat(decoded.provenance()).isEqualTo(original.provenance());
    assertThat(decoded.provenance().datasetSha256()).isEqualTo(PARENT);
    assertThat(decoded.provenance().classNames()).containsExactly("ant", "bee");
  }

  @Test
  void roundTripsFloatCheckpointWithoutQuantization() {
    Checkpoint original =
        new Checkpoint(
            CheckpointKind.FLOAT,
            Map.of("w", TensorData.ofFloats(new long[] {1}, new float[] {7f})),
            JSON.createObjectNode().put("arch", "mlp"),
            null,
            new Provenance("j", 0, null, "mnist", "t", "2025-01-01T00:00:00Z"));

    Checkpoint decoded = codec.decode(codec.encode(original).bytes());

    assertThat(decoded).isEqualTo(original);
    assertThat(decoded.quantization()).isNull();
  }

  @Test
  void encodesDeterministically() {
    assertThat(codec.encode(sample()).bytes()).isEqualTo(codec.encode(sample()).bytes());
  }

  @Test
  void encodesModelSpecIndependentlyOfKeyInsertionOrder() {
    Checkpoint base = sample();
    ObjectNode reordered = JSON.createObjectNode();
    reordered.set("layers", base.modelSpec().get("layers"));
    reordered.put("arch", "cnn");
    Checkpoint other =
        new Checkpoint(
            base.kind(), base.tensors(), reordered, base.quantization(), base.provenance());

    assertThat(codec.encode(other).sha256()).isEqualTo(codec.encode(base).sha256());
  }

  @Test
  void encodesKnownCheckpointToTheSameBytesAsBefore() throws Exception {
    // Keys inserted out of order at every level, numbers of several kinds, non-ASCII text.
    ObjectNode spec = JSON.createObjectNode().put("zeta", 1).put("Arch", "cnn");
    ObjectNode layer = spec.putArray("layers").addObject();
    layer.put("type", "conv").put("filters", 3).put("activation", "relu");
    layer.putObject("init").put("seed", 7L).put("gain", 1.5f).put("a", true);
    spec.put("name", "modèle-α").put("learningRate", 0.001);
    ObjectNode quant = JSON.createObjectNode().put("scheme", "lsq").put("bits", 8);
    quant.putObject("scales").put("dense/q", 0.5).put("conv/kernel", 0.015625);
    Checkpoint checkpoint =
        new Checkpoint(
            CheckpointKind.QUANTIZED,
            sample().tensors(),
            spec,
            quant,
            new Provenance(
                "job-42", 3, PARENT, "fashion-mnist", "0.1.0+abc", "2025-11-26T22:22:00Z"));

    byte[] bytes = codec.encode(checkpoint).bytes();

    // Written by the codec before its JSON settings moved to io.qatfleet.core.json.Json: tensors
    // and metadata entries in insertion order, model spec and quantization keys sorted. Format
    // version 2 since weights may be packed; the digest of these bytes was recomputed outside Java
    // (Python: length prefix, header padded with spaces, the sample's little-endian tensors), the
    // same computation reproducing version 1's former digest e0ddc02f….
    assertThat(new String(bytes, 8, (int) headerLength(bytes), UTF_8).stripTrailing())
        .isEqualTo(KNOWN_HEADER);
    assertThat(sha256Hex(bytes)).isEqualTo(KNOWN_SHA256);
  }

  @Test
  void digestsEncodedBytesWithSha256() throws Exception {
    EncodedCheckpoint encoded = codec.encode(sample());

    assertThat(encoded.sha256()).isEqualTo(sha256Hex(encoded.bytes()));
    // FIPS 180-2 test vector for "abc".
    assertThat(CheckpointCodec.sha256("abc".getBytes(UTF_8)))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void writesSafetensorsLayout(@TempDir Path dir) throws Exception {
    byte[] file = Files.readAllBytes(codec.write(dir, sample()));

    long n = headerLength(file);
    assertThat(n % 8).isZero();
    assertThat(file).hasSize((int) (8 + n + 40));
    JsonNode header = JSON.readTree(new String(file, 8, (int) n, UTF_8));
    assertThat(header.get("conv/kernel").toString())
        .isEqualTo("{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}");
    assertThat(header.get("conv/bias").toString())
        .isEqualTo("{\"dtype\":\"I32\",\"shape\":[3],\"data_offsets\":[24,36]}");
    assertThat(header.get("dense/q").toString())
        .isEqualTo("{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[36,40]}");
    JsonNode metadata = header.get("__metadata__");
    assertThat(metadata.get("format").textValue()).isEqualTo("qat-fleet");
    assertThat(metadata.get("format_version").textValue()).isEqualTo("2");
    assertThat(metadata.get("kind").textValue()).isEqualTo("QUANTIZED");
    assertThat(JSON.readTree(metadata.get("model_spec").textValue()).get("arch").textValue())
        .isEqualTo("cnn");
    assertThat(JSON.readTree(metadata.get("quantization").textValue()).get("bits").intValue())
        .isEqualTo(8);
    assertThat(JSON.readTree(metadata.get("provenance").textValue()).get("jobId").textValue())
        .isEqualTo("job-42");
    int buffer = (int) (8 + n);
    // 0.5f = 0x3F000000; 300 = 0x0000012C is the third int, at 24 + 8; then the int8 bytes.
    assertThat(Arrays.copyOfRange(file, buffer, buffer + 4)).containsExactly(0, 0, 0, 0x3F);
    assertThat(Arrays.copyOfRange(file, buffer + 32, buffer + 36))
        .containsExactly(0x2C, 0x01, 0, 0);
    assertThat(Arrays.copyOfRange(file, buffer + 36, buffer + 40))
        .containsExactly(0x80, 0xFF, 0x00, 0x7F);
  }

  @Test
  void namesWrittenFileByItsDigest(@TempDir Path dir) throws Exception {
    Path file = codec.write(dir, sample());

    assertThat(file.getFileName().toString())
        .isEqualTo(sha256Hex(Files.readAllBytes(file)) + ".safetensors");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void readsWrittenFileBack(@TempDir Path dir) throws Exception {
    Path file = codec.write(dir.resolve("nested"), sample());
    String sha = file.getFileName().toString().replace(".safetensors", "");

    assertThat(codec.read(file, sha)).isEqualTo(sample());
  }

  @Test
  void rejectsCheckpointWithBadDigest() throws Exception {
    EncodedCheckpoint encoded = codec.encode(sample());
    byte[] corrupt = encoded.bytes();
    corrupt[corrupt.length - 1] ^= 0x01;

    CheckpointException e =
        catchThrowableOfType(
            CheckpointException.class, () -> codec.decode(corrupt, encoded.sha256()));

    assertThat(e.reason()).isEqualTo(Reason.DIGEST_MISMATCH);
    assertThat(e)
        .hasMessage(
            "digest mismatch: expected "
                + encoded.sha256()
                + " but bytes hash to "
                + sha256Hex(corrupt));
  }

  @Test
  void checksDigestBeforeParsing() {
    CheckpointException e =
        catchThrowableOfType(
            CheckpointException.class, () -> codec.decode(new byte[] {1, 2, 3}, "00".repeat(32)));

    assertThat(e.reason()).isEqualTo(Reason.DIGEST_MISMATCH);
  }

  @Test
  void rejectsCheckpointCutMidData() {
    byte[] bytes = codec.encode(sample()).bytes();

    CheckpointException e = decodeFailure(Arrays.copyOf(bytes, bytes.length - 10));

    assertThat(e.reason()).isEqualTo(Reason.TRUNCATED);
    assertThat(e)
        .hasMessage(
            "checkpoint truncated: tensors need 40 buffer bytes but only 30 follow the header");
  }

  @Test
  void rejectsCheckpointCutMidHeader() {
    byte[] bytes = codec.encode(sample()).bytes();
    long n = headerLength(bytes);

    CheckpointException e = decodeFailure(Arrays.copyOf(bytes, 20));

    assertThat(e.reason()).isEqualTo(Reason.TRUNCATED);
    assertThat(e)
        .hasMessage("checkpoint truncated: header declares " + n + " bytes but only 12 follow");
  }

  @Test
  void rejectsCheckpointShorterThanLengthPrefix() {
    CheckpointException e = decodeFailure(new byte[5]);

    assertThat(e.reason()).isEqualTo(Reason.TRUNCATED);
    assertThat(e).hasMessageContaining("5 bytes");
  }

  @Test
  void rejectsMalformedJsonHeader() {
    CheckpointException e = decodeFailure(assemble("{\"w\": {\"dtype\": ]", new byte[0]));

    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(e).hasMessageStartingWith("malformed checkpoint header: header is not valid JSON");
  }

  @Test
  void rejectsHeaderWithRepeatedKey() {
    String tensor = "\"a\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}";

    CheckpointException e = decodeFailure(assemble(header(tensor + "," + tensor), new byte[1]));

    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(e).hasMessageContaining("header is not valid JSON").hasMessageContaining("'a'");
  }

  @Test
  void rejectsHeaderWithContentAfterTheJson() {
    String tensor = "\"a\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}";

    CheckpointException e = decodeFailure(assemble(header(tensor) + " {}", new byte[1]));

    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(e).hasMessageStartingWith("malformed checkpoint header: header is not valid JSON");
  }

  @Test
  void rejectsAbsurdHeaderLength() {
    byte[] bytes = new byte[64];
    bytes[5] = 1; // 2^40 bytes

    CheckpointException e = decodeFailure(bytes);

    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(e).hasMessageContaining("1099511627776").hasMessageContaining("limit");
  }

  @Test
  void rejectsUnknownFormatVersion() {
    String header =
        "{\"w\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]},\"__metadata__\":"
            + metadata("7")
            + "}";

    CheckpointException e = decodeFailure(assemble(header, new byte[1]));

    assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_VERSION);
    assertThat(e).hasMessage("unsupported checkpoint format_version 7 (this build reads 1, 2)");
  }

  @Test
  void rejectsMissingMetadata() {
    String header = "{\"w\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}}";

    CheckpointException e = decodeFailure(assemble(header, new byte[1]));

    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(e).hasMessageContaining("__metadata__");
  }

  @Test
  void rejectsOffsetsBeyondBuffer() {
    String header = header("\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}");

    CheckpointException e = decodeFailure(assemble(header, new byte[8]));

    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(e).hasMessageContaining("'w' data_offsets [8, 16]");
  }

  @Test
  void rejectsOverlappingOffsets() {
    String header =
        header(
            "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}");

    CheckpointException e = decodeFailure(assemble(header, new byte[12]));

    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(e).hasMessageContaining("overlap tensor 'a'");
  }

  @Test
  void rejectsOffsetsNotMatchingShape() {
    // F32 [3] needs 3 * 4 = 12 bytes, the offsets span 8.
    String header = header("\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}");

    CheckpointException e = decodeFailure(assemble(header, new byte[8]));

    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(e).hasMessageContaining("span 8 bytes but F32 [3] needs 12");
  }

  @Test
  void rejectsUnknownDtype() {
    String header = header("\"w\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}");

    CheckpointException e = decodeFailure(assemble(header, new byte[2]));

    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(e).hasMessageContaining("unknown dtype 'BF16'");
  }

  @Test
  void rejectsBytesDescribedByNoTensor() {
    String header = header("\"w\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}");

    CheckpointException e = decodeFailure(assemble(header, new byte[6]));

    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_HEADER);
    assertThat(e).hasMessageContaining("4 bytes after the last tensor");
  }

  @Test
  void decodesHeaderWhoseKeyOrderDiffersFromOffsetOrder() {
    // Metadata first and "b" stored before "a" in the buffer, as other safetensors writers do.
    String header =
        "{\"__metadata__\":"
            + metadata("1")
            + ",\"a\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[2,3]}"
            + ",\"b\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}";

    Checkpoint cp = codec.decode(assemble(header, new byte[] {10, 11, 12}));

    assertThat(List.copyOf(cp.tensors().keySet())).containsExactly("a", "b");
    assertThat(cp.tensor("a").int8()).containsExactly(12);
    assertThat(cp.tensor("b").int8()).containsExactly(10, 11);
  }
}
