package io.qatfleet.messaging.stage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Which stages a service has finished, by (jobId, round, stage), kept as small files under the
 * service's state directory so that it survives a restart. A service marks a stage done only after
 * its outcome has been published and acknowledged by the broker; a redelivered or duplicated event
 * for a finished stage is then skipped instead of starting a second round or a second approval.
 * Writes are atomic (temporary file, then rename).
 *
 * <p>Bounded: a job's entries are deleted once none has been written for the ledger's retention
 * ({@link #DEFAULT_RETENTION} unless configured, {@code qat.ledger-retention}), at start and then
 * at most every {@link #PRUNE_INTERVAL} when a stage finishes. The retention must exceed how long
 * the record of a finished stage can still be delivered: the work topics' retention (a record older
 * than that is gone, so no redelivery, no reset to the earliest offset, can bring it back), the
 * dead-letter topic's (an operator's replay), and a job's longest life (its deadline), so that a
 * live job never loses its entries. docs/fleet.md lists what redelivery remains possible.
 */
public final class StageLedger {

  /**
   * Entries kept this long after a job's last one: longer than the work topics (7 days) and the
   * dead-letter topic (30 days) keep a record, and than a job's deadline.
   */
  public static final Duration DEFAULT_RETENTION = Duration.ofDays(35);

  /** The longest time between two prunes while stages keep finishing. */
  public static final Duration PRUNE_INTERVAL = Duration.ofHours(1);

  private static final Logger LOG = Logger.getLogger(StageLedger.class.getName());

  private final Path dir;
  private final Duration retention;
  private final Clock clock;
  private Instant nextPrune;

  /** A ledger in {@code dir} with the default retention. */
  public StageLedger(Path dir) {
    this(dir, DEFAULT_RETENTION, Clock.systemUTC());
  }

  /**
   * A ledger in {@code dir} whose jobs' entries are deleted {@code retention} after the last one
   * was written; prunes once now.
   */
  public StageLedger(Path dir, Duration retention, Clock clock) {
    if (retention == null || retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException(
          "qat.ledger-retention: must be positive, got " + retention);
    }
    this.dir = dir;
    this.retention = retention;
    this.clock = clock;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the stage ledger directory " + dir, e);
    }
    prune();
  }

  /**
   * Deletes the entries of every job none of whose entries was written within the retention.
   *
   * @return how many jobs' entries it deleted
   */
  public synchronized int prune() {
    Instant now = clock.instant();
    nextPrune = now.plus(PRUNE_INTERVAL);
    Instant cutoff = now.minus(retention);
    int pruned = 0;
    try (DirectoryStream<Path> jobs = Files.newDirectoryStream(dir, Files::isDirectory)) {
      for (Path job : jobs) {
        if (lastWrite(job).isBefore(cutoff)) {
          deleteJob(job);
          pruned++;
        }
      }
    } catch (IOException e) {
      LOG.warning("cannot prune the stage ledger in " + dir + ": " + e);
    }
    return pruned;
  }

  private static Instant lastWrite(Path job) throws IOException {
    Instant last = Files.getLastModifiedTime(job).toInstant();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(job)) {
      for (Path entry : entries) {
        Instant written = Files.getLastModifiedTime(entry).toInstant();
        if (written.isAfter(last)) {
          last = written;
        }
      }
    }
    return last;
  }

  private static void deleteJob(Path job) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(job)) {
      for (Path entry : entries) {
        Files.deleteIfExists(entry);
      }
    }
    Files.deleteIfExists(job);
  }

  public boolean isDone(String jobId, int round, String stage) {
    return Files.exists(entry(jobId, round, stage));
  }

  /** The outcome recorded when the stage finished (for example the published event's JSON). */
  public Optional<String> outcome(String jobId, int round, String stage) {
    Path file = entry(jobId, round, stage);
    try {
      return Files.exists(file)
          ? Optional.of(Files.readString(file, StandardCharsets.UTF_8))
          : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read stage ledger entry " + file, e);
    }
  }

  public synchronized void markDone(String jobId, int round, String stage, String outcome) {
    if (!clock.instant().isBefore(nextPrune)) {
      prune();
    }
    Path file = entry(jobId, round, stage);
    try {
      Files.createDirectories(file.getParent());
      Path tmp = Files.createTempFile(file.getParent(), ".ledger", ".tmp");
      Files.writeString(tmp, outcome, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write stage ledger entry " + file, e);
    }
  }

  private Path entry(String jobId, int round, String stage) {
    if (round < 0) {
      throw new IllegalArgumentException("round: must be >= 0, got " + round);
    }
    if (stage == null || !stage.matches("[a-z][a-z0-9-]{0,40}")) {
      throw new IllegalArgumentException("stage: must match [a-z][a-z0-9-]*, got " + stage);
    }
    return dir.resolve(safeName(jobId)).resolve(round + "-" + stage);
  }

  /** Job ids become directory names: safe ones as they are, anything else hex-encoded. */
  public static String safeName(String jobId) {
    if (jobId == null || jobId.isBlank()) {
      throw new IllegalArgumentException("jobId: must not be blank");
    }
    if (jobId.matches("[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")) {
      return jobId;
    }
    return "x" + HexFormat.of().formatHex(jobId.getBytes(StandardCharsets.UTF_8));
  }
}
