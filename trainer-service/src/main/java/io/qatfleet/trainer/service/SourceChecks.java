package io.qatfleet.trainer.service;

import io.qatfleet.trainer.TrainerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * Bounds the data checks of datasets by reference that {@code POST /jobs} runs on request threads.
 * Each may read and hash up to {@code max-source-bytes} or download them for up to 7 minutes, so
 * without a bound one caller could hold every request thread, the network and the cache's disk. At
 * most {@code qat.budget.max-concurrent-source-checks} run at once in this process, and one per
 * owner; a check beyond either is refused at once ({@link Busy}), not queued.
 */
@ApplicationScoped
public class SourceChecks {
  private final int limit;
  private final Semaphore slots;
  private final Set<String> running = ConcurrentHashMap.newKeySet();

  @Inject
  SourceChecks(TrainerConfig config) {
    this(config.budget().maxConcurrentSourceChecks());
  }

  SourceChecks(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException(
          "qat.budget.max-concurrent-source-checks: must be at least 1, got " + limit);
    }
    this.limit = limit;
    this.slots = new Semaphore(limit);
  }

  /**
   * Runs {@code check} for {@code owner} and returns its violations.
   *
   * @throws Busy when {@code owner} already has a check running or every slot is taken
   */
  public List<String> run(String owner, Supplier<List<String>> check) {
    if (!running.add(owner)) {
      throw new Busy(
          "a data check of yours is still running: one dataset by reference is checked per owner"
              + " at a time; try again when it ends");
    }
    try {
      if (!slots.tryAcquire()) {
        throw new Busy(
            "this trainer already runs its most data checks of datasets by reference at once"
                + " (qat.budget.max-concurrent-source-checks = "
                + limit
                + "); try again later");
      }
      try {
        return check.get();
      } finally {
        slots.release();
      }
    } finally {
      running.remove(owner);
    }
  }

  /** A data check refused because too many run: the caller may retry later. */
  public static final class Busy extends RuntimeException {
    Busy(String message) {
      super(message);
    }
  }
}
