package io.qatfleet.messaging.checkpoint;

import io.qatfleet.core.checkpoint.EncodedCheckpoint;
import io.qatfleet.messaging.checkpoint.CheckpointTransportException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.UUID;

/**
 * A {@link CheckpointStore} in one directory, each checkpoint a file named by its SHA-256. Used by
 * unit tests and single-process runs where no broker is wanted. Files are written under a temporary
 * name and moved into place, so a reader never sees half a file; reads are verified like every
 * store's. {@link #get} waits for a file that another thread or process has yet to write, up to the
 * timeout.
 */
public final class LocalDirCheckpointStore implements CheckpointStore {

  private static final long POLL_MILLIS = 20;

  private final Path dir;

  public LocalDirCheckpointStore(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new CheckpointTransportException(
          Reason.TRANSPORT, null, "cannot create checkpoint directory " + dir, e);
    }
  }

  /** The file that holds {@code ref}. */
  public Path pathOf(CheckpointRef ref) {
    return dir.resolve(ref.sha256());
  }

  @Override
  public CheckpointRef put(byte[] bytes) {
    return put(ByteBuffer.wrap(bytes), CheckpointRef.of(bytes));
  }

  @Override
  public CheckpointRef put(EncodedCheckpoint encoded) {
    return put(encoded.view(), new CheckpointRef(encoded.sha256(), encoded.length()));
  }

  private CheckpointRef put(ByteBuffer bytes, CheckpointRef ref) {
    Path target = pathOf(ref);
    try {
      if (Files.isRegularFile(target) && Files.size(target) == ref.bytes()) {
        return ref;
      }
      Path tmp = dir.resolve("." + ref.sha256() + "." + UUID.randomUUID() + ".tmp");
      try (FileChannel out =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        while (bytes.hasRemaining()) {
          out.write(bytes);
        }
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return ref;
    } catch (IOException e) {
      throw new CheckpointTransportException(
          Reason.TRANSPORT, ref, "cannot write checkpoint " + ref.sha256() + " to " + dir, e);
    }
  }

  @Override
  public byte[] get(CheckpointRef ref, Duration timeout) {
    Path file = pathOf(ref);
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (!Files.isRegularFile(file)) {
        if (System.nanoTime() - deadline >= 0) {
          throw new CheckpointTransportException(
              Reason.NOT_FOUND,
              ref,
              "checkpoint " + ref.sha256() + " not found in " + dir + " within " + timeout);
        }
        Thread.sleep(POLL_MILLIS);
      }
      byte[] bytes = Files.readAllBytes(file);
      if (bytes.length != ref.bytes()) {
        throw new CheckpointTransportException(
            Reason.SIZE_MISMATCH,
            ref,
            "checkpoint "
                + ref.sha256()
                + " has "
                + bytes.length
                + " bytes, expected "
                + ref.bytes());
      }
      String actual = CheckpointRef.sha256Hex(bytes);
      if (!actual.equals(ref.sha256())) {
        throw new CheckpointTransportException(
            Reason.DIGEST_MISMATCH,
            ref,
            "checkpoint file " + file + " has SHA-256 " + actual + ", expected " + ref.sha256());
      }
      return bytes;
    } catch (IOException e) {
      throw new CheckpointTransportException(
          Reason.TRANSPORT, ref, "cannot read checkpoint " + file, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CheckpointTransportException(
          Reason.TRANSPORT, ref, "interrupted waiting for checkpoint " + ref.sha256(), e);
    }
  }
}
