package io.qatfleet.messaging.checkpoint;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/** The chunk headers of one record; null when missing or unreadable. */
record ChunkHeader(String sha256, int index, int count, long total) {

  static ChunkHeader of(Headers headers) {
    try {
      String sha = text(headers, KafkaCheckpointStore.HEADER_SHA256);
      String index = text(headers, KafkaCheckpointStore.HEADER_CHUNK_INDEX);
      String count = text(headers, KafkaCheckpointStore.HEADER_CHUNK_COUNT);
      String total = text(headers, KafkaCheckpointStore.HEADER_TOTAL_BYTES);
      if (sha == null || index == null || count == null || total == null) {
        return null;
      }
      return new ChunkHeader(
          sha, Integer.parseInt(index), Integer.parseInt(count), Long.parseLong(total));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String text(Headers headers, String key) {
    Header h = headers.lastHeader(key);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.US_ASCII);
  }

  boolean plausible() {
    return count >= 1 && index >= 0 && index < count && total >= 0;
  }
}
