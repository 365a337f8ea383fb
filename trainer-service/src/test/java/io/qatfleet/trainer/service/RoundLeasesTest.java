package io.qatfleet.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two trainers on one shared state directory, with a clock the test moves. */
class RoundLeasesTest {

  private static final Duration TTL = Duration.ofSeconds(60);

  @TempDir Path stateDir;

  private final MovableClock clock = new MovableClock(Instant.parse("2026-12-02T10:00:00Z"));

  private RoundLeases trainerA() {
    return new RoundLeases(stateDir, "trainer-a", TTL, clock);
  }

  private RoundLeases trainerB() {
    return new RoundLeases(stateDir, "trainer-b", TTL, clock);
  }

  @Test
  void refusesSecondTrainerWhileTheFirstHoldsTheRound() {
    Optional<RoundLeases.Lease> a = trainerA().tryAcquire("job-1", 1, "qat");

    assertThat(a).isPresent();
    assertThat(trainerB().tryAcquire("job-1", 1, "qat")).isEmpty();
    assertThat(trainerB().holder("job-1", 1, "qat")).contains("trainer-a");
    // Another round of the same job is free.
    assertThat(trainerB().tryAcquire("job-1", 2, "qat")).isPresent();
  }

  @Test
  void keepsTheRoundWhileRenewed() {
    RoundLeases.Lease a = trainerA().tryAcquire("job-1", 1, "qat").orElseThrow();
    clock.advance(Duration.ofSeconds(40));
    assertThat(a.renew()).isTrue();
    clock.advance(Duration.ofSeconds(40)); // 80 s after the start, 40 s after the renewal

    assertThat(trainerB().tryAcquire("job-1", 1, "qat")).isEmpty();
    assertThat(a.held()).isTrue();
  }

  @Test
  void handsAnExpiredRoundToTheNextTrainerAndTheFirstLearnsItLostIt() {
    RoundLeases.Lease a = trainerA().tryAcquire("job-1", 1, "qat").orElseThrow();
    clock.advance(TTL.plusSeconds(1));

    Optional<RoundLeases.Lease> b = trainerB().tryAcquire("job-1", 1, "qat");

    assertThat(b).isPresent();
    assertThat(a.renew()).isFalse();
    assertThat(a.held()).isFalse();
    assertThat(trainerA().holder("job-1", 1, "qat")).contains("trainer-b");
    // The loser's release does not delete the winner's lease.
    a.close();
    assertThat(trainerA().holder("job-1", 1, "qat")).contains("trainer-b");
  }

  @Test
  void freesTheRoundWhenReleased() {
    try (RoundLeases.Lease a = trainerA().tryAcquire("job-1", 1, "qat").orElseThrow()) {
      assertThat(a.held()).isTrue();
    }

    assertThat(trainerB().tryAcquire("job-1", 1, "qat")).isPresent();
  }

  @Test
  void treatsAnUnreadableLeaseAsHeldUntilItsTtlAfterItWasWritten() throws Exception {
    Path file = stateDir.resolve("leases").resolve("job-1").resolve("1-qat.lease");
    Files.createDirectories(file.getParent());
    Files.writeString(file, "torn");
    Files.setLastModifiedTime(file, FileTime.from(clock.instant()));

    assertThat(trainerB().tryAcquire("job-1", 1, "qat")).isEmpty();
    clock.advance(TTL.plusSeconds(1));
    assertThat(trainerB().tryAcquire("job-1", 1, "qat")).isPresent();
  }

  /** A clock that stands still until the test moves it. */
  private static final class MovableClock extends Clock {
    private Instant now;

    MovableClock(Instant start) {
      this.now = start;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
