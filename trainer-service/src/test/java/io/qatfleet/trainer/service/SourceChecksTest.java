package io.qatfleet.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SourceChecksTest {
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void stop() {
    release.countDown();
    threads.shutdownNow();
  }

  /** Starts a check for {@code owner} that holds its slot until {@link #release}. */
  private CompletableFuture<List<String>> holding(SourceChecks checks, String owner)
      throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CompletableFuture<List<String>> done =
        CompletableFuture.supplyAsync(
            () ->
                checks.run(
                    owner,
                    () -> {
                      started.countDown();
                      try {
                        release.await();
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      return List.of(owner + " checked");
                    }),
            threads);
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    return done;
  }

  @Test
  void refusesAnOwnersSecondCheckAndAnyBeyondTheLimitThenFreesTheirSlots() throws Exception {
    SourceChecks checks = new SourceChecks(2);
    CompletableFuture<List<String>> alice = holding(checks, "alice");

    assertThatThrownBy(() -> checks.run("alice", List::of))
        .isInstanceOf(SourceChecks.Busy.class)
        .hasMessageContaining("a data check of yours is still running");
    CompletableFuture<List<String>> bob = holding(checks, "bob");
    assertThatThrownBy(() -> checks.run("carol", List::of))
        .isInstanceOf(SourceChecks.Busy.class)
        .hasMessageContaining("qat.budget.max-concurrent-source-checks = 2");

    release.countDown();
    assertThat(alice.get(10, TimeUnit.SECONDS)).containsExactly("alice checked");
    assertThat(bob.get(10, TimeUnit.SECONDS)).containsExactly("bob checked");
    assertThat(checks.run("carol", () -> List.of("carol checked")))
        .containsExactly("carol checked");
    assertThat(checks.run("alice", () -> List.of("again"))).containsExactly("again");
  }

  @Test
  void aCheckThatFailsGivesItsSlotBack() {
    SourceChecks checks = new SourceChecks(1);
    assertThatThrownBy(
            () ->
                checks.run(
                    "alice",
                    () -> {
                      throw new IllegalStateException("unreadable");
                    }))
        .hasMessage("unreadable");
    assertThat(checks.run("alice", () -> List.of("ok"))).containsExactly("ok");
  }

  @Test
  void refusedCallerKeepsNoClaim() {
    SourceChecks checks = new SourceChecks(1);
    // Refused for the limit while alice's check runs, bob must not stay marked as running.
    List<String> alice =
        checks.run(
            "alice",
            () -> {
              assertThatThrownBy(() -> checks.run("bob", List::of))
                  .isInstanceOf(SourceChecks.Busy.class)
                  .hasMessageContaining("qat.budget.max-concurrent-source-checks = 1");
              return List.of("alice ok");
            });
    assertThat(alice).containsExactly("alice ok");
    assertThat(checks.run("bob", () -> List.of("bob ok"))).containsExactly("bob ok");
  }

  @Test
  void refusesALimitBelowOne() {
    assertThatThrownBy(() -> new SourceChecks(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max-concurrent-source-checks: must be at least 1, got 0");
  }
}
