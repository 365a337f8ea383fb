package io.qatfleet.trainer.service;

import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.EncodedCheckpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The checkpoint of the last finished epoch of each running (job, round, stage), kept under {@code
 * <state-dir>/epochs/<job>/<round>-<stage>/} so that a trainer killed mid-round resumes after that
 * epoch when the request is redelivered. Each file is named {@code epoch-<n>-<sha256>.safetensors}
 * ({@code n} epochs done); it is written under a temporary name and renamed, and verified against
 * its digest on read, so a torn or corrupted file is skipped in favour of an older one (or a fresh
 * start). Older epochs are deleted once a newer one is in place; the directory goes once the
 * round's outcome is published (also when the job was stopped or diverged, and when a redelivery
 * finds the stage done, in case the trainer died between the two). What is left behind by a round
 * that never ends here (its request dead-lettered as a poison pill) is deleted by {@link #prune}
 * once it is older than the longest job deadline, after which no job could resume from it.
 */
public final class EpochCheckpoints {

  private static final Logger LOG = Logger.getLogger(EpochCheckpoints.class);
  private static final Pattern FILE =
      Pattern.compile("epoch-(\\d{5})-([0-9a-f]{64})\\.safetensors");
  private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}");

  private final Path root;
  private final CheckpointCodec codec = new CheckpointCodec();

  /** Epoch checkpoints under {@code stateDir/epochs}. */
  public EpochCheckpoints(Path stateDir) {
    this.root = stateDir.resolve("epochs");
  }

  /** A checkpoint taken after {@code epochsDone} epochs. */
  public record Saved(int epochsDone, Checkpoint checkpoint) {}

  /** Replaces the saved checkpoint of (job, round, stage) with the one after {@code epochsDone}. */
  public void save(String jobId, int round, String stage, int epochsDone, Checkpoint checkpoint) {
    Path dir = dir(jobId, round, stage);
    EncodedCheckpoint encoded = codec.encode(checkpoint);
    String name = String.format("epoch-%05d-%s.safetensors", epochsDone, encoded.sha256());
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".epoch", ".tmp");
      Files.write(tmp, encoded.bytes());
      Files.move(
          tmp,
          dir.resolve(name),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      for (Path old : files(dir)) {
        if (!old.getFileName().toString().equals(name)) {
          Files.deleteIfExists(old);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save epoch checkpoint in " + dir, e);
    }
  }

  /** The newest intact checkpoint of (job, round, stage), if any. */
  public Optional<Saved> latest(String jobId, int round, String stage) {
    Path dir = dir(jobId, round, stage);
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    List<Path> candidates = files(dir);
    candidates.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
    for (Path file : candidates) {
      Matcher m = FILE.matcher(file.getFileName().toString());
      if (!m.matches()) {
        continue;
      }
      try {
        Checkpoint checkpoint = codec.read(file, m.group(2));
        return Optional.of(new Saved(Integer.parseInt(m.group(1)), checkpoint));
      } catch (IOException | RuntimeException e) {
        LOG.warnf("skipping unreadable epoch checkpoint %s: %s", file, e.getMessage());
      }
    }
    return Optional.empty();
  }

  /** Deletes the checkpoints of (job, round, stage): the round is finished. */
  public void clear(String jobId, int round, String stage) {
    Path dir = dir(jobId, round, stage);
    try {
      for (Path f : files(dir)) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      LOG.warnf("could not delete epoch checkpoints in %s: %s", dir, e.getMessage());
    }
  }

  /**
   * Deletes the checkpoints of every job none of whose files was written within {@code maxAge}
   * before {@code now}.
   *
   * @return how many jobs' checkpoints it deleted
   */
  public int prune(Duration maxAge, Instant now) {
    Instant cutoff = now.minus(maxAge);
    int pruned = 0;
    if (!Files.isDirectory(root)) {
      return 0;
    }
    try (Stream<Path> jobs = Files.list(root)) {
      for (Path job : jobs.filter(Files::isDirectory).toList()) {
        List<Path> tree;
        try (Stream<Path> walk = Files.walk(job)) {
          tree = walk.sorted(Comparator.reverseOrder()).toList(); // files before their directories
        }
        Instant last = Instant.MIN;
        for (Path p : tree) {
          Instant written = Files.getLastModifiedTime(p).toInstant();
          last = written.isAfter(last) ? written : last;
        }
        if (last.isBefore(cutoff)) {
          for (Path p : tree) {
            Files.deleteIfExists(p);
          }
          pruned++;
        }
      }
    } catch (IOException e) {
      LOG.warnf("could not prune epoch checkpoints in %s: %s", root, e.getMessage());
    }
    return pruned;
  }

  /** The directory of (job, round, stage). */
  public Path dir(String jobId, int round, String stage) {
    String job =
        SAFE_NAME.matcher(jobId).matches()
            ? jobId
            : "x" + HexFormat.of().formatHex(jobId.getBytes(StandardCharsets.UTF_8));
    return root.resolve(job).resolve(round + "-" + stage);
  }

  private static List<Path> files(Path dir) {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      stream.forEach(out::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    return out;
  }
}
