package io.qatfleet.messaging.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.core.checkpoint.EncodedCheckpoint;
import io.qatfleet.messaging.checkpoint.CheckpointTransportException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalDirCheckpointStoreTest {

  private static final Duration SHORT = Duration.ofMillis(200);

  @TempDir Path dir;

  private static byte[] random(int n) {
    byte[] bytes = new byte[n];
    new Random(n).nextBytes(bytes);
    return bytes;
  }

  @Test
  void roundTripsBytes() {
    LocalDirCheckpointStore store = new LocalDirCheckpointStore(dir);
    byte[] bytes = random(10_000);
    CheckpointRef ref = store.put(bytes);
    assertThat(ref).isEqualTo(CheckpointRef.of(bytes));
    assertThat(store.get(ref, SHORT)).isEqualTo(bytes);
  }

  @Test
  void putsEncodedCheckpointUnderTheCodecsDigest() {
    LocalDirCheckpointStore store = new LocalDirCheckpointStore(dir);
    byte[] bytes = random(20_000);
    CheckpointRef expected = CheckpointRef.of(bytes);

    CheckpointRef ref = store.put(new EncodedCheckpoint(bytes, expected.sha256()));

    assertThat(ref).isEqualTo(expected);
    assertThat(store.get(ref, SHORT)).isEqualTo(bytes);
  }

  @Test
  void putsSameBytesOnceUnderSameRef() throws Exception {
    LocalDirCheckpointStore store = new LocalDirCheckpointStore(dir);
    byte[] bytes = random(100);
    assertThat(store.put(bytes)).isEqualTo(store.put(bytes.clone()));
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(store.pathOf(CheckpointRef.of(bytes)));
    }
  }

  @Test
  void rejectsFileWithBadDigest() throws Exception {
    LocalDirCheckpointStore store = new LocalDirCheckpointStore(dir);
    byte[] bytes = random(1000);
    CheckpointRef ref = store.put(bytes);
    bytes[500] ^= 1;
    Files.write(store.pathOf(ref), bytes);
    assertThatThrownBy(() -> store.get(ref, SHORT))
        .isInstanceOfSatisfying(
            CheckpointTransportException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.DIGEST_MISMATCH))
        .hasMessageContaining("expected " + ref.sha256());
  }

  @Test
  void rejectsTruncatedFile() throws Exception {
    LocalDirCheckpointStore store = new LocalDirCheckpointStore(dir);
    CheckpointRef ref = store.put(random(1000));
    Files.write(store.pathOf(ref), new byte[999]);
    assertThatThrownBy(() -> store.get(ref, SHORT))
        .isInstanceOfSatisfying(
            CheckpointTransportException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.SIZE_MISMATCH))
        .hasMessageContaining("has 999 bytes, expected 1000");
  }

  @Test
  void reportsAbsentCheckpointAfterTimeout() {
    LocalDirCheckpointStore store = new LocalDirCheckpointStore(dir);
    CheckpointRef ref = CheckpointRef.of(random(10));
    assertThatThrownBy(() -> store.get(ref, SHORT))
        .isInstanceOfSatisfying(
            CheckpointTransportException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND))
        .hasMessageContaining(ref.sha256());
  }

  @Test
  void waitsForCheckpointWrittenLater() throws Exception {
    LocalDirCheckpointStore store = new LocalDirCheckpointStore(dir);
    byte[] bytes = random(4096);
    CompletableFuture<byte[]> read =
        CompletableFuture.supplyAsync(
            () -> store.get(CheckpointRef.of(bytes), Duration.ofSeconds(10)));
    Thread.sleep(100);
    store.put(bytes);
    assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(bytes);
  }
}
