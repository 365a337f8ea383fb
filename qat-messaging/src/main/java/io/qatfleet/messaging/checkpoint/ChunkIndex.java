package io.qatfleet.messaging.checkpoint;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the first chunks of checkpoints lie, learned from puts, verified reads and scans of the
 * topic. Bounded: at most {@code maxEntries} checkpoints, least recently used evicted first, and a
 * constant amount of memory per checkpoint whatever its headers claim (only the offset of its chunk
 * 0 is kept). Headers reach it only after {@link ChunkHeader#problem} accepted them.
 *
 * <p>Per partition it keeps the range of offsets {@code [from, to)} it has indexed completely:
 * every acceptable chunk 0 in that range is in the index. A reader searching for a checkpoint the
 * index does not know therefore reads only past {@code to} and below {@code from}. Evicting an
 * entry shrinks its partition's range to above the evicted offset, so the invariant holds.
 */
final class ChunkIndex {

  /** Checkpoints remembered unless configured otherwise. */
  static final int DEFAULT_MAX_ENTRIES = 4096;

  private static final class Entry {
    final int partition;
    long firstChunk;
    boolean complete;

    Entry(int partition, long firstChunk) {
      this.partition = partition;
      this.firstChunk = firstChunk;
    }
  }

  private final Map<String, Entry> bySha;
  private final Map<Integer, long[]> indexed = new HashMap<>();

  ChunkIndex(int maxEntries) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be >= 1, was " + maxEntries);
    }
    this.bySha =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
            if (size() <= maxEntries) {
              return false;
            }
            forget(eldest.getValue());
            return true;
          }
        };
  }

  synchronized int size() {
    return bySha.size();
  }

  synchronized boolean isComplete(String sha256) {
    Entry e = bySha.get(sha256);
    return e != null && e.complete;
  }

  /** Offset of the earliest known chunk 0 of {@code sha256}, or -1. */
  synchronized long firstChunk(String sha256) {
    Entry e = bySha.get(sha256);
    return e == null ? -1 : e.firstChunk;
  }

  /** All chunks of {@code sha256} lie from {@code firstChunk} on (a put, or a verified read). */
  synchronized void recordComplete(String sha256, int partition, long firstChunk) {
    observeFirstChunk(sha256, partition, firstChunk).complete = true;
  }

  /** A record at {@code offset} whose headers {@link ChunkHeader#problem} accepted. */
  synchronized void observe(int partition, long offset, ChunkHeader header) {
    if (header.index() == 0) {
      observeFirstChunk(header.sha256(), partition, offset);
    }
  }

  /**
   * The log of {@code partition} starts at {@code begin} now: the checkpoints whose chunk 0 lay
   * below it (deleted by the topic's retention) are forgotten, so that a read does not seek to them
   * and a put writes them again, and the indexed range starts at {@code begin} at the earliest.
   */
  synchronized void logStart(int partition, long begin) {
    bySha.values().removeIf(e -> e.partition == partition && e.firstChunk < begin);
    long[] range = indexed.get(partition);
    if (range != null && range[0] < begin) {
      range[0] = Math.min(begin, range[1]);
    }
  }

  /**
   * The indexed range {@code [from, to)} of {@code partition}; an empty one at {@code end} when
   * nothing is indexed yet, clamped to {@code [begin, end]}.
   */
  synchronized long[] indexedRange(int partition, long begin, long end) {
    long[] range = indexed.computeIfAbsent(partition, p -> new long[] {end, end});
    if (range[1] > end || range[1] < begin) {
      // The log was truncated or recreated under us, or retention deleted all of the range: start
      // over from its end.
      range[0] = range[1] = end;
    } else if (range[0] < begin) {
      range[0] = begin; // retention deleted the start of the range; the rest stays indexed
    }
    return range.clone();
  }

  /** Every record of {@code partition} in {@code [from, to)} has been observed. */
  synchronized void markIndexed(int partition, long from, long to) {
    long[] range = indexed.get(partition);
    if (range == null || from > range[1] || to < range[0]) {
      return; // not adjacent to the indexed range: keep the range contiguous
    }
    range[0] = Math.min(range[0], from);
    range[1] = Math.max(range[1], to);
  }

  private Entry observeFirstChunk(String sha256, int partition, long offset) {
    Entry e = bySha.get(sha256);
    if (e == null) {
      e = new Entry(partition, offset);
      bySha.put(sha256, e);
    } else {
      e.firstChunk = Math.min(e.firstChunk, offset);
    }
    return e;
  }

  private void forget(Entry evicted) {
    long[] range = indexed.get(evicted.partition);
    if (range != null && evicted.firstChunk >= range[0]) {
      range[0] = Math.min(range[1], evicted.firstChunk + 1);
    }
  }
}
