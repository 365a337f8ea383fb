package io.qatfleet.messaging.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class ChunkHeaderTest {

  private static final String SHA = "ab".repeat(32);
  private static final int KIB = 1024;
  private static final long MAX = 256L * KIB * KIB;

  @Test
  void acceptsEveryChunkOfAPut() {
    // 1,500,000 bytes in 512 KiB chunks: 2 full ones (1,048,576 bytes) and 451,424 left over.
    assertThat(new ChunkHeader(SHA, 0, 3, 1_500_000, 512 * KIB).problem(MAX, 512 * KIB)).isNull();
    assertThat(new ChunkHeader(SHA, 1, 3, 1_500_000, 512 * KIB).problem(MAX, 512 * KIB)).isNull();
    assertThat(new ChunkHeader(SHA, 2, 3, 1_500_000, 512 * KIB).problem(MAX, 451_424)).isNull();
  }

  @Test
  void acceptsEmptyCheckpointAsOneEmptyChunk() {
    assertThat(new ChunkHeader(SHA, 0, 1, 0, 512 * KIB).problem(MAX, 0)).isNull();
  }

  @Test
  void rejectsChunkCountBomb() {
    ChunkHeader bomb = new ChunkHeader(SHA, 0, 2_000_000_000, 1, 512 * KIB);

    assertThat(bomb.problem(MAX, 1)).isEqualTo("count 2000000000 is not ceil(1 / 524288) = 1");
  }

  @Test
  void rejectsCountOneShortOfTotal() {
    // 1,048,577 bytes need a third chunk for the last byte.
    assertThat(new ChunkHeader(SHA, 0, 2, 1_048_577, 512 * KIB).problem(MAX, 512 * KIB))
        .startsWith("count 2 is not");
  }

  @Test
  void rejectsIndexAtCount() {
    assertThat(new ChunkHeader(SHA, 3, 3, 1_500_000, 512 * KIB).problem(MAX, 0))
        .isEqualTo("index 3 is not in 0..2");
  }

  @Test
  void rejectsNegativeIndex() {
    assertThat(new ChunkHeader(SHA, -1, 3, 1_500_000, 512 * KIB).problem(MAX, 0))
        .isEqualTo("index -1 is not in 0..2");
  }

  @Test
  void rejectsTotalOverMaximum() {
    assertThat(new ChunkHeader(SHA, 0, 1, 1001, 512 * KIB).problem(1000, 1001))
        .contains("total 1001 bytes is not in 0..1000");
  }

  @Test
  void rejectsChunkSizeOverLimit() {
    int tooLarge = KafkaCheckpointStore.MAX_CHUNK_BYTES + 1;
    assertThat(new ChunkHeader(SHA, 0, 1, 10, tooLarge).problem(MAX, 10))
        .startsWith("chunk size " + tooLarge);
  }

  @Test
  void rejectsPayloadShorterThanChunk() {
    assertThat(new ChunkHeader(SHA, 0, 3, 1_500_000, 512 * KIB).problem(MAX, 100))
        .isEqualTo("chunk 0 carries 100 bytes, not 524288");
  }

  @Test
  void rejectsDigestNotInHex() {
    assertThat(new ChunkHeader("../etc", 0, 1, 1, 512 * KIB).problem(MAX, 1)).contains("sha256");
  }

  @Test
  void readsLegacyHeaderWithDefaultChunkSize() {
    RecordHeaders headers = headers("7", "9", "4000000");

    assertThat(ChunkHeader.of(headers)).isEqualTo(new ChunkHeader(SHA, 7, 9, 4_000_000, 512 * KIB));
  }

  @Test
  void returnsNullForNonNumericCount() {
    assertThat(ChunkHeader.of(headers("0", "lots", "10"))).isNull();
  }

  @Test
  void returnsNullForMissingTotal() {
    RecordHeaders headers = new RecordHeaders();
    headers.add(KafkaCheckpointStore.HEADER_SHA256, ascii(SHA));
    headers.add(KafkaCheckpointStore.HEADER_CHUNK_INDEX, ascii("0"));
    headers.add(KafkaCheckpointStore.HEADER_CHUNK_COUNT, ascii("1"));

    assertThat(ChunkHeader.of(headers)).isNull();
  }

  private static RecordHeaders headers(String index, String count, String total) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(KafkaCheckpointStore.HEADER_SHA256, ascii(SHA));
    headers.add(KafkaCheckpointStore.HEADER_CHUNK_INDEX, ascii(index));
    headers.add(KafkaCheckpointStore.HEADER_CHUNK_COUNT, ascii(count));
    headers.add(KafkaCheckpointStore.HEADER_TOTAL_BYTES, ascii(total));
    return headers;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
