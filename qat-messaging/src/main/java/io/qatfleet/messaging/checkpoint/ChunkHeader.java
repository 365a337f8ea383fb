package io.qatfleet.messaging.checkpoint;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The chunk headers of one record on {@code qat.checkpoints}, as its writer claims them. Nothing in
 * them is trusted until {@link #problem} found them consistent: the count must be exactly {@code
 * ceil(total / chunkBytes)} for the writer's chunk size, the index below it, the total within the
 * reader's maximum and the payload exactly as long as that chunk must be. So a header can never
 * make a reader allocate more than the bytes it carries, nor index past what a real put writes.
 *
 * @param sha256 the checkpoint's digest, as the header states it (not yet checked for form)
 * @param index 0-based chunk index
 * @param count chunks in the checkpoint
 * @param total checkpoint size in bytes
 * @param chunkBytes the writer's chunk size ({@value KafkaCheckpointStore#HEADER_CHUNK_BYTES});
 *     {@link KafkaCheckpointStore#DEFAULT_CHUNK_BYTES} for records written before that header
 */
record ChunkHeader(String sha256, int index, int count, long total, int chunkBytes) {

  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  /** The headers of a record, or null when one is missing or not a decimal number. */
  static ChunkHeader of(Headers headers) {
    try {
      String sha = text(headers, KafkaCheckpointStore.HEADER_SHA256);
      String index = text(headers, KafkaCheckpointStore.HEADER_CHUNK_INDEX);
      String count = text(headers, KafkaCheckpointStore.HEADER_CHUNK_COUNT);
      String total = text(headers, KafkaCheckpointStore.HEADER_TOTAL_BYTES);
      String chunkBytes = text(headers, KafkaCheckpointStore.HEADER_CHUNK_BYTES);
      if (sha == null || index == null || count == null || total == null) {
        return null;
      }
      return new ChunkHeader(
          sha,
          Integer.parseInt(index),
          Integer.parseInt(count),
          Long.parseLong(total),
          chunkBytes == null
              ? KafkaCheckpointStore.DEFAULT_CHUNK_BYTES
              : Integer.parseInt(chunkBytes));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Chunks of a checkpoint of {@code total} bytes cut into chunks of {@code chunkBytes}. */
  static int countFor(long total, int chunkBytes) {
    return (int) Math.max(1, (total + chunkBytes - 1) / chunkBytes);
  }

  /**
   * Why this header cannot belong to a chunk a {@link KafkaCheckpointStore} wrote, or null when it
   * can.
   *
   * @param maxTotal the largest checkpoint the reader accepts
   * @param payloadBytes the length of the record's value
   */
  String problem(long maxTotal, int payloadBytes) {
    if (!SHA256_HEX.matcher(sha256).matches()) {
      return "sha256 is not 64 lowercase hex digits";
    }
    if (chunkBytes < 1 || chunkBytes > KafkaCheckpointStore.MAX_CHUNK_BYTES) {
      return "chunk size " + chunkBytes + " is not in 1.." + KafkaCheckpointStore.MAX_CHUNK_BYTES;
    }
    if (total < 0 || total > maxTotal) {
      return "total "
          + total
          + " bytes is not in 0.."
          + maxTotal
          + " (the maximum checkpoint size)";
    }
    int expectedCount = countFor(total, chunkBytes);
    if (count != expectedCount) {
      return "count "
          + count
          + " is not ceil("
          + total
          + " / "
          + chunkBytes
          + ") = "
          + expectedCount;
    }
    if (index < 0 || index >= count) {
      return "index " + index + " is not in 0.." + (count - 1);
    }
    long expectedPayload = Math.min(chunkBytes, total - (long) index * chunkBytes);
    if (payloadBytes != expectedPayload) {
      return "chunk " + index + " carries " + payloadBytes + " bytes, not " + expectedPayload;
    }
    return null;
  }

  private static String text(Headers headers, String key) {
    Header h = headers.lastHeader(key);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.US_ASCII);
  }
}
