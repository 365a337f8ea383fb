package io.qatfleet.messaging.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageLedgerTest {
  @TempDir Path dir;

  @Test
  void remembersFinishedStagesAcrossInstances() {
    new StageLedger(dir).markDone("job-1", 2, "qat", "{\"event\":1}");
    StageLedger reopened = new StageLedger(dir);
    assertThat(reopened.isDone("job-1", 2, "qat")).isTrue();
    assertThat(reopened.outcome("job-1", 2, "qat")).contains("{\"event\":1}");
    assertThat(reopened.isDone("job-1", 3, "qat")).isFalse();
    assertThat(reopened.isDone("job-1", 2, "calibrate")).isFalse();
    assertThat(reopened.isDone("job-2", 2, "qat")).isFalse();
  }

  @Test
  void keepsUnsafeJobIdsInsideTheDirectory() {
    StageLedger ledger = new StageLedger(dir);
    ledger.markDone("../../etc", 0, "baseline", "x");
    assertThat(ledger.isDone("../../etc", 0, "baseline")).isTrue();
    assertThat(dir.resolve(StageLedger.safeName("../../etc")).normalize().startsWith(dir)).isTrue();
  }

  @Test
  void rejectsBadStageName() {
    assertThatThrownBy(() -> new StageLedger(dir).isDone("job", 0, "../qat"))
        .hasMessageContaining("stage");
  }

  private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
  private static final Duration RETENTION = Duration.ofDays(35);

  private StageLedger ledgerAt(Instant now) {
    return new StageLedger(dir, RETENTION, Clock.fixed(now, ZoneOffset.UTC));
  }

  /** Dates every entry of the job, and its directory, to {@code when}. */
  private void writtenAt(String jobId, Instant when) throws IOException {
    Path job = dir.resolve(StageLedger.safeName(jobId));
    try (var entries = Files.list(job)) {
      for (Path entry : entries.toList()) {
        Files.setLastModifiedTime(entry, FileTime.from(when));
      }
    }
    Files.setLastModifiedTime(job, FileTime.from(when));
  }

  @Test
  void prunesJobsWhoseLastEntryIsOlderThanTheRetention() throws IOException {
    StageLedger ledger = ledgerAt(NOW);
    ledger.markDone("ended", 0, "baseline", "a");
    ledger.markDone("ended", 1, "qat", "b");
    writtenAt("ended", NOW.minus(RETENTION).minusSeconds(1));

    assertThat(ledger.prune()).isEqualTo(1);

    assertThat(ledger.isDone("ended", 0, "baseline")).isFalse();
    assertThat(ledger.isDone("ended", 1, "qat")).isFalse();
    assertThat(dir.resolve("ended")).doesNotExist();
  }

  @Test
  void keepsJobWithOneRecentEntry() throws IOException {
    StageLedger ledger = ledgerAt(NOW);
    ledger.markDone("live", 0, "baseline", "a");
    ledger.markDone("live", 1, "qat", "b");
    writtenAt("live", NOW.minus(RETENTION).minusSeconds(1));
    Files.setLastModifiedTime(
        dir.resolve("live").resolve("1-qat"), FileTime.from(NOW.minus(RETENTION).plusSeconds(1)));

    assertThat(ledger.prune()).isZero();

    assertThat(ledger.isDone("live", 0, "baseline")).isTrue();
    assertThat(ledger.isDone("live", 1, "qat")).isTrue();
  }

  @Test
  void prunesWhenOpened() throws IOException {
    ledgerAt(NOW).markDone("old", 0, "baseline", "a");
    writtenAt("old", NOW.minus(RETENTION).minusSeconds(1));

    ledgerAt(NOW); // a restarted service

    assertThat(dir.resolve("old")).doesNotExist();
  }

  @Test
  void prunesWhenAStageFinishesAnIntervalAfterTheLastPrune() throws IOException {
    AtomicReference<Instant> now = new AtomicReference<>(NOW);
    Clock clock =
        new Clock() {
          @Override
          public Instant instant() {
            return now.get();
          }

          @Override
          public ZoneOffset getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }
        };
    StageLedger ledger = new StageLedger(dir, RETENTION, clock);
    ledger.markDone("old", 0, "baseline", "a");
    writtenAt("old", NOW.minus(RETENTION).minusSeconds(1));

    now.set(NOW.plus(StageLedger.PRUNE_INTERVAL).minusSeconds(1));
    ledger.markDone("new", 0, "baseline", "a");
    assertThat(ledger.isDone("old", 0, "baseline")).isTrue();

    now.set(NOW.plus(StageLedger.PRUNE_INTERVAL));
    ledger.markDone("new", 1, "qat", "b");
    assertThat(ledger.isDone("old", 0, "baseline")).isFalse();
    assertThat(ledger.isDone("new", 0, "baseline")).isTrue();
  }

  @Test
  void rejectsZeroRetention() {
    assertThatThrownBy(() -> new StageLedger(dir, Duration.ZERO, Clock.systemUTC()))
        .hasMessageContaining("qat.ledger-retention");
  }
}
