package io.qatfleet.messaging.checkpoint;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** Where the chunks of checkpoints lie, learned from puts and from scanning the topic. */
final class ChunkIndex {

  private final Map<String, long[]> offsetsBySha = new HashMap<>();
  private final Map<Integer, Long> scannedUpTo = new HashMap<>();

  synchronized boolean isComplete(String sha256) {
    long[] offsets = offsetsBySha.get(sha256);
    return offsets != null && Arrays.stream(offsets).allMatch(o -> o >= 0);
  }

  /** Where a read of {@code sha256} starts: its first known chunk, else the unscanned rest. */
  synchronized long startOffset(String sha256, int partition) {
    long[] offsets = offsetsBySha.get(sha256);
    long known = offsets == null ? -1 : Arrays.stream(offsets).filter(o -> o >= 0).min().orElse(-1);
    return known >= 0 ? known : scannedUpTo.getOrDefault(partition, 0L);
  }

  synchronized void recordPut(String sha256, int count, long total, long[] offsets) {
    long[] known = offsetsBySha.computeIfAbsent(sha256, k -> filled(count));
    if (known.length == count) {
      for (int i = 0; i < count; i++) {
        if (known[i] < 0) {
          known[i] = offsets[i];
        }
      }
    }
  }

  synchronized void observe(int partition, long offset, ChunkHeader header) {
    if (header != null && header.plausible()) {
      long[] known = offsetsBySha.computeIfAbsent(header.sha256(), k -> filled(header.count()));
      if (known.length == header.count() && known[header.index()] < 0) {
        known[header.index()] = offset;
      }
    }
    scannedUpTo.merge(partition, offset + 1, Math::max);
  }

  private static long[] filled(int count) {
    long[] offsets = new long[count];
    Arrays.fill(offsets, -1);
    return offsets;
  }
}
