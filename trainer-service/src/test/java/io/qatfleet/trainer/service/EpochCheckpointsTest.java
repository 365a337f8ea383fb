package io.qatfleet.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.ModelInit;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Epoch checkpoints are cleared with their round, and orphans pruned past the longest deadline. */
class EpochCheckpointsTest {

  private static final Duration MAX_AGE = Duration.ofHours(24);

  @TempDir Path stateDir;

  private void save(EpochCheckpoints epochs, String jobId, int round) {
    JobSpec spec = JobSpec.fromJson("{\"name\": \"m\"}");
    epochs.save(
        jobId,
        round,
        "qat",
        1,
        ModelCheckpoints.ofFloat(
            spec.model(),
            null,
            ModelInit.initialState(spec.model(), 1),
            new Provenance(jobId, round, null, "fashion-mnist", "test", Instant.now().toString())));
  }

  /** Dates everything under the job's directory to {@code when}. */
  private void writtenAt(EpochCheckpoints epochs, String jobId, Instant when) throws IOException {
    Path job = epochs.dir(jobId, 0, "qat").getParent();
    List<Path> tree;
    try (Stream<Path> walk = Files.walk(job)) {
      tree = walk.toList();
    }
    for (Path p : tree) {
      Files.setLastModifiedTime(p, FileTime.from(when));
    }
  }

  @Test
  void clearsTheRoundsCheckpoints() {
    EpochCheckpoints epochs = new EpochCheckpoints(stateDir);
    save(epochs, "job-1", 1);

    epochs.clear("job-1", 1, "qat");

    assertThat(epochs.latest("job-1", 1, "qat")).isEmpty();
    assertThat(epochs.dir("job-1", 1, "qat")).doesNotExist();
  }

  @Test
  void prunesJobsNotWrittenForLongerThanTheMaximumAge() throws IOException {
    EpochCheckpoints epochs = new EpochCheckpoints(stateDir);
    Instant now = Instant.now();
    save(epochs, "orphan", 0);
    save(epochs, "orphan", 1);
    writtenAt(epochs, "orphan", now.minus(MAX_AGE).minusSeconds(1));
    save(epochs, "running", 2);

    assertThat(epochs.prune(MAX_AGE, now)).isEqualTo(1);

    assertThat(epochs.dir("orphan", 0, "qat").getParent()).doesNotExist();
    assertThat(epochs.latest("running", 2, "qat")).isPresent();
  }

  @Test
  void keepsJobWithOneRecentFile() throws IOException {
    EpochCheckpoints epochs = new EpochCheckpoints(stateDir);
    Instant now = Instant.now();
    save(epochs, "job", 0);
    save(epochs, "job", 1);
    writtenAt(epochs, "job", now.minus(MAX_AGE).minusSeconds(1));
    try (Stream<Path> files = Files.list(epochs.dir("job", 1, "qat"))) {
      for (Path f : files.toList()) {
        Files.setLastModifiedTime(f, FileTime.from(now.minusSeconds(60)));
      }
    }

    assertThat(epochs.prune(MAX_AGE, now)).isZero();

    assertThat(epochs.latest("job", 0, "qat")).isPresent();
  }

  @Test
  void prunesNothingWithoutAnyCheckpoint() {
    assertThat(new EpochCheckpoints(stateDir).prune(MAX_AGE, Instant.now())).isZero();
  }
}
