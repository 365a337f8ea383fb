package io.qatfleet.messaging.stage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Which stages a service has finished, by (jobId, round, stage), kept as small files under the
 * service's state directory so that it survives a restart. A service marks a stage done only after
 * its outcome has been published and acknowledged by the broker; a redelivered or duplicated event
 * for a finished stage is then skipped instead of starting a second round or a second approval.
 * Writes are atomic (temporary file, then rename).
 */
public final class StageLedger {
  private final Path dir;

  public StageLedger(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the stage ledger directory " + dir, e);
    }
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
