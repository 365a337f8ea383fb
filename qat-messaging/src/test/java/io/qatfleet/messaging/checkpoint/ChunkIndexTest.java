package io.qatfleet.messaging.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChunkIndexTest {

  private static String sha(int i) {
    return String.format("%064x", i);
  }

  private static ChunkHeader first(String sha) {
    return new ChunkHeader(sha, 0, 1, 10, 512 * 1024);
  }

  @Test
  void keepsEarliestFirstChunk() {
    ChunkIndex index = new ChunkIndex(8);
    index.observe(0, 40, first(sha(1)));
    index.observe(0, 12, first(sha(1)));
    index.observe(0, 90, first(sha(1)));

    assertThat(index.firstChunk(sha(1))).isEqualTo(12);
  }

  @Test
  void ignoresChunksOtherThanTheFirst() {
    ChunkIndex index = new ChunkIndex(8);
    index.observe(0, 5, new ChunkHeader(sha(1), 1, 2, 20, 10));

    assertThat(index.firstChunk(sha(1))).isEqualTo(-1);
    assertThat(index.size()).isZero();
  }

  @Test
  void keepsAtMostMaxEntries() {
    ChunkIndex index = new ChunkIndex(3);
    for (int i = 0; i < 10; i++) {
      index.observe(0, i, first(sha(i)));
    }

    assertThat(index.size()).isEqualTo(3);
    assertThat(index.firstChunk(sha(0))).isEqualTo(-1);
    assertThat(index.firstChunk(sha(9))).isEqualTo(9);
  }

  @Test
  void evictsLeastRecentlyUsed() {
    ChunkIndex index = new ChunkIndex(2);
    index.observe(0, 1, first(sha(1)));
    index.observe(0, 2, first(sha(2)));
    index.firstChunk(sha(1));
    index.observe(0, 3, first(sha(3)));

    assertThat(index.firstChunk(sha(1))).isEqualTo(1);
    assertThat(index.firstChunk(sha(2))).isEqualTo(-1);
  }

  @Test
  void startsIndexedRangeEmptyAtEnd() {
    ChunkIndex index = new ChunkIndex(2);

    assertThat(index.indexedRange(0, 0, 500)).containsExactly(500, 500);
  }

  @Test
  void growsIndexedRangeByAdjacentScans() {
    ChunkIndex index = new ChunkIndex(8);
    index.indexedRange(0, 0, 500);
    index.markIndexed(0, 500, 600);
    index.markIndexed(0, 300, 500);

    assertThat(index.indexedRange(0, 0, 600)).containsExactly(300, 600);
  }

  @Test
  void shrinksIndexedRangeAboveEvictedEntry() {
    ChunkIndex index = new ChunkIndex(1);
    index.indexedRange(0, 0, 100);
    index.markIndexed(0, 0, 100);
    index.observe(0, 42, first(sha(1)));
    index.observe(0, 7, first(sha(2)));

    // sha(1) at 42 was forgotten: offsets up to 42 are no longer known to be fully indexed.
    assertThat(index.indexedRange(0, 0, 100)).containsExactly(43, 100);
  }

  @Test
  void marksPutCheckpointComplete() {
    ChunkIndex index = new ChunkIndex(8);
    index.recordComplete(sha(1), 2, 77);

    assertThat(index.isComplete(sha(1))).isTrue();
    assertThat(index.firstChunk(sha(1))).isEqualTo(77);
  }

  @Test
  void forgetsCheckpointsBelowTheLogStartOfTheirPartition() {
    ChunkIndex index = new ChunkIndex(8);
    index.recordComplete(sha(1), 0, 10);
    index.recordComplete(sha(2), 0, 30);
    index.recordComplete(sha(3), 1, 10);

    index.logStart(0, 20);

    assertThat(index.firstChunk(sha(1))).isEqualTo(-1);
    assertThat(index.isComplete(sha(1))).isFalse();
    assertThat(index.firstChunk(sha(2))).isEqualTo(30);
    assertThat(index.firstChunk(sha(3))).isEqualTo(10);
  }

  @Test
  void keepsTheIndexedRangeAboveTheLogStartWhenRetentionDeletesItsBeginning() {
    ChunkIndex index = new ChunkIndex(8);
    index.indexedRange(0, 0, 100);
    index.markIndexed(0, 10, 100);

    index.logStart(0, 40);

    assertThat(index.indexedRange(0, 40, 120)).containsExactly(40, 100);
  }

  @Test
  void startsOverWhenRetentionDeletedAllOfTheIndexedRange() {
    ChunkIndex index = new ChunkIndex(8);
    index.indexedRange(0, 0, 100);
    index.markIndexed(0, 10, 100);

    assertThat(index.indexedRange(0, 150, 200)).containsExactly(200, 200);
  }
}
