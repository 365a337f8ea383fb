package io.qatfleet.trainer.service;

import io.qatfleet.messaging.stage.StageLedger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Which trainer works on a (job, round, stage) right now, among the trainers that share the state
 * directory ({@code <state-dir>/leases/}, the volume their epoch checkpoints and ledger are on). A
 * rebalance can hand a partition to another trainer while the first still trains a round from it
 * (its handler keeps running); the newcomer then finds the round's lease held and waits instead of
 * training the round a second time, until the holder has finished (the ledger says so: the newcomer
 * skips the request) or its lease expired (it died: the newcomer takes over and resumes from the
 * last epoch checkpoint).
 *
 * <p>A lease is a file created with {@code CREATE_NEW} (atomic on local file systems and NFS)
 * holding its owner and expiry; the owner renews it ({@link Lease#renew}) well before it expires,
 * and deletes it when done. An expired lease is taken over by renaming it away first, so that of
 * two trainers taking it over at once, one succeeds.
 */
public final class RoundLeases {

  private static final Logger LOG = Logger.getLogger(RoundLeases.class);

  private final Path dir;
  private final String owner;
  private final Duration ttl;
  private final Clock clock;

  /**
   * @param owner this trainer's id, unique per process (a restarted trainer is a new owner)
   * @param ttl how long a lease lasts unless renewed
   */
  public RoundLeases(Path stateDir, String owner, Duration ttl, Clock clock) {
    this.dir = stateDir.resolve("leases");
    this.owner = owner;
    this.ttl = ttl;
    this.clock = clock;
  }

  /** A fresh owner id for this process: host name and a random suffix. */
  public static String newOwnerId() {
    String host = Optional.ofNullable(System.getenv("HOSTNAME")).orElse("trainer");
    return host + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  public Duration ttl() {
    return ttl;
  }

  /** The lease of (job, round, stage) if this trainer got it now: free, expired, or its own. */
  public Optional<Lease> tryAcquire(String jobId, int round, String stage) {
    Path file = file(jobId, round, stage);
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        if (create(file)) {
          return Optional.of(new Lease(file));
        }
        Holder holder = read(file);
        if (holder == null) {
          continue; // released between our create and our read
        }
        if (holder.owner().equals(owner)) {
          Lease lease = new Lease(file);
          lease.renew();
          return Optional.of(lease);
        }
        if (holder.expires().isAfter(clock.instant())) {
          return Optional.empty();
        }
        LOG.infof(
            "lease %s of %s expired at %s: taking it over", file, holder.owner(), holder.expires());
        takeOver(file);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot take lease " + file, e);
      }
    }
    return Optional.empty();
  }

  /** Who holds the lease of (job, round, stage), if anyone. */
  public Optional<String> holder(String jobId, int round, String stage) {
    Holder holder = read(file(jobId, round, stage));
    return holder == null ? Optional.empty() : Optional.of(holder.owner());
  }

  /** A lease this trainer holds. */
  public final class Lease implements AutoCloseable {
    private final Path file;
    private volatile boolean held = true;

    private Lease(Path file) {
      this.file = file;
    }

    /**
     * Extends the lease by the ttl from now, if it is still this trainer's; otherwise (taken over
     * after it expired) it is lost for good.
     *
     * @return whether the lease is still held
     */
    public synchronized boolean renew() {
      if (!held) {
        return false;
      }
      Holder holder = read(file);
      if (holder == null || !holder.owner().equals(owner)) {
        held = false;
        LOG.warnf("lease %s lost to %s", file, holder == null ? "nobody" : holder.owner());
        return false;
      }
      try {
        Path tmp = Files.createTempFile(file.getParent(), ".lease", ".tmp");
        Files.writeString(tmp, content());
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return true;
      } catch (IOException e) {
        LOG.warnf("cannot renew lease %s: %s", file, e);
        return true;
      }
    }

    /** Whether this trainer still holds the lease (as of its last renewal). */
    public boolean held() {
      return held;
    }

    /** Releases the lease, if still held. */
    @Override
    public synchronized void close() {
      if (held) {
        held = false;
        Holder holder = read(file);
        if (holder != null && holder.owner().equals(owner)) {
          try {
            Files.deleteIfExists(file);
          } catch (IOException e) {
            LOG.warnf("cannot release lease %s: %s", file, e);
          }
        }
      }
    }
  }

  private record Holder(String owner, Instant expires) {}

  private String content() {
    return owner + "\n" + clock.instant().plus(ttl).toEpochMilli() + "\n";
  }

  /** The lease's holder; an unreadable file counts as held until its ttl after it was written. */
  private Holder read(Path file) {
    try {
      String[] lines = Files.readString(file, StandardCharsets.UTF_8).split("\n");
      if (lines.length >= 2) {
        return new Holder(lines[0], Instant.ofEpochMilli(Long.parseLong(lines[1].strip())));
      }
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | NumberFormatException e) {
      LOG.debugf("unreadable lease %s: %s", file, e);
    }
    try {
      return new Holder("?", Files.getLastModifiedTime(file).toInstant().plus(ttl));
    } catch (IOException e) {
      return null;
    }
  }

  /** Creates the lease file with this trainer's lease; false when it exists. */
  private boolean create(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    try (SeekableByteChannel out =
        Files.newByteChannel(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      out.write(ByteBuffer.wrap(content().getBytes(StandardCharsets.UTF_8)));
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    }
  }

  private void takeOver(Path file) throws IOException {
    Path aside = file.resolveSibling(file.getFileName() + ".expired-" + UUID.randomUUID());
    try {
      Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
      Files.deleteIfExists(aside);
    } catch (NoSuchFileException e) {
      // another trainer took it over first
    }
  }

  private Path file(String jobId, int round, String stage) {
    return dir.resolve(StageLedger.safeName(jobId)).resolve(round + "-" + stage + ".lease");
  }
}
