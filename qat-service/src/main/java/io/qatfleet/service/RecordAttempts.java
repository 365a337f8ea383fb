package io.qatfleet.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * How many times processing of each input record has started and not finished, kept on disk under
 * the service's state directory ({@code <qat.state-dir>/attempts/<topic>-<partition>-<offset>}, the
 * count as text). A stage writes the count before it processes a record, durably (file and
 * directory synced, replaced atomically), and removes it when the record is finished. A count that
 * is still there on the next delivery means the process died while processing the record: {@link
 * RecordGuard} parks a record that did so too often as a poison pill.
 *
 * <p>Plain Java on the file system, one file per record in flight; safe for one consumer thread per
 * partition, which is how the channels deliver.
 */
public final class RecordAttempts {

  private final Path dir;

  public RecordAttempts(Path dir) {
    this.dir = dir;
  }

  /** The directory of the counts. */
  public Path dir() {
    return dir;
  }

  /** Started and unfinished attempts at the record; 0 when none is recorded. */
  public int count(String topic, int partition, long offset) {
    Path file = file(topic, partition, offset);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII).trim();
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read attempt count " + file, e);
    }
    try {
      return Math.max(0, Integer.parseInt(text));
    } catch (NumberFormatException e) {
      // A torn or foreign file: a crash happened while it was written, so at least one attempt.
      return 1;
    }
  }

  /**
   * Records {@code count} attempts at the record, durably, before it returns; 0 removes the
   * record's entry.
   */
  public void set(String topic, int partition, long offset, int count) {
    if (count <= 0) {
      clear(topic, partition, offset);
      return;
    }
    Path file = file(topic, partition, offset);
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve(file.getFileName() + ".tmp");
      try (FileChannel channel =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        channel.write(
            java.nio.ByteBuffer.wrap(Integer.toString(count).getBytes(StandardCharsets.US_ASCII)));
        channel.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      syncDir();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write attempt count " + file, e);
    }
  }

  /** Counts one more attempt at the record, durably; returns the new count. */
  public int begin(String topic, int partition, long offset) {
    int count = count(topic, partition, offset) + 1;
    set(topic, partition, offset, count);
    return count;
  }

  /** Forgets the record: it is finished (processed or parked). */
  public void clear(String topic, int partition, long offset) {
    Path file = file(topic, partition, offset);
    try {
      if (Files.deleteIfExists(file)) {
        syncDir();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove attempt count " + file, e);
    }
  }

  private Path file(String topic, int partition, long offset) {
    if (topic == null || !topic.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("topic must be a Kafka topic name, got " + topic);
    }
    return dir.resolve(topic + "-" + partition + "-" + offset);
  }

  private void syncDir() {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some file systems do not sync directories; the file itself is synced.
    }
  }
}
