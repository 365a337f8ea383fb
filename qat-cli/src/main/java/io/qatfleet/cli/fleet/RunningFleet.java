package io.qatfleet.cli.fleet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.qatfleet.core.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A fleet that {@code qat up} left running in the background, as its {@value #FILE} describes it:
 * where its broker and services answer, the key its approvals verify with, and every process it
 * started (pid and start time, so that a pid the system has since given to another program is not
 * mistaken for the fleet's). The file lies in the fleet's directory ({@link #defaultDir()}), beside
 * the logs and the state; the client commands read it for their defaults, {@code qat down} for what
 * to stop.
 *
 * @param dir the fleet's directory: {@code logs/}, {@code state/}, {@code kafka-data/}
 * @param parts the processes, in start order (broker, services, then Prometheus when it runs)
 */
public record RunningFleet(
    String dir,
    String bootstrapServers,
    String trainerUrl,
    String validatorUrl,
    String approvalPublicKey,
    Instant started,
    List<Part> parts) {

  /** The file in a fleet's directory that describes it while it runs. */
  public static final String FILE = "fleet.json";

  /** How long a part may take to stop after SIGTERM before it is killed. */
  public static final Duration STOP_GRACE = Duration.ofSeconds(20);

  /**
   * One process of the fleet.
   *
   * @param address where clients reach it: the bootstrap servers, or an HTTP URL
   * @param healthUrl what answers 200 while it is ready; null for the broker
   * @param processStart when the process started, as the system reports it (null where unknown)
   */
  public record Part(
      String name, long pid, Instant processStart, String address, String healthUrl, String log) {

    static Part of(
        String name, ProcessHandle process, String address, String healthUrl, Path logDir) {
      return new Part(
          name,
          process.pid(),
          process.info().startInstant().orElse(null),
          address,
          healthUrl,
          logDir.resolve(name + ".log").toString());
    }

    /**
     * The part's process while it runs: alive under its pid, and started when it did (a recycled
     * pid belongs to some other program).
     */
    public Optional<ProcessHandle> process() {
      return ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .filter(
              h ->
                  processStart == null
                      || h.info()
                          .startInstant()
                          .map(t -> Duration.between(t, processStart).abs().toSeconds() < 2)
                          .orElse(true));
    }
  }

  /**
   * The directory of the fleet {@code qat up} starts and the other commands look for: {@code
   * qat.fleet.dir}, else {@code QAT_FLEET_DIR}, else {@code ~/.cache/qat-fleet/fleet}.
   */
  public static Path defaultDir() {
    return LocalAuth.cacheDir("qat.fleet.dir", "QAT_FLEET_DIR", "fleet");
  }

  /** The fleet described in {@link #defaultDir()}, if one is. */
  public static Optional<RunningFleet> find() {
    return read(defaultDir());
  }

  /**
   * The fleet described in {@code dir}, if its {@value #FILE} exists.
   *
   * @throws IllegalStateException naming the file when it cannot be read or is not a fleet's
   */
  public static Optional<RunningFleet> read(Path dir) {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Json.MAPPER.readValue(file.toFile(), RunningFleet.class));
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot read "
              + file
              + " ("
              + e.getMessage().lines().findFirst().orElse("")
              + "); if no fleet runs, delete it",
          e);
    }
  }

  /** Writes {@value #FILE} into {@link #dir()}, whole or not at all. */
  public void write() {
    Path file = Path.of(dir).resolve(FILE);
    try {
      Path tmp = Files.createTempFile(file.getParent(), ".fleet", ".tmp");
      Files.writeString(
          tmp,
          Json.MAPPER
              .writer()
              .without(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
              .withDefaultPrettyPrinter()
              .writeValueAsString(this));
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot describe the fleet as JSON", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Removes {@value #FILE} from {@code dir}: no fleet runs there any more. */
  public static void forget(Path dir) {
    try {
      Files.deleteIfExists(dir.resolve(FILE));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir.resolve(FILE), e);
    }
  }

  /** The part called {@code name}; {@code trainer}, {@code broker} and the like work too. */
  public Optional<Part> part(String name) {
    for (String candidate : List.of(name, name + "-service")) {
      for (Part p : parts) {
        if (p.name().equals(candidate)
            || (candidate.equals("broker") && p.name().equals(LocalFleet.KAFKA))) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  /** The parts whose process runs. */
  public List<Part> running() {
    return parts.stream().filter(p -> p.process().isPresent()).toList();
  }

  /**
   * Stops every part that still runs, the last started first (Prometheus, the services, then the
   * broker they write to): SIGTERM, then SIGKILL for any still running after {@link #STOP_GRACE}.
   *
   * @return the parts that were running and are stopped now
   * @throws IllegalStateException naming any part that survived SIGKILL
   */
  public List<Part> stop() throws InterruptedException {
    List<Part> stopped = new ArrayList<>();
    List<Part> reversed = new ArrayList<>(parts);
    java.util.Collections.reverse(reversed);
    // The services first, all at once; the broker only once they are gone, so that they can
    // commit what they have done.
    List<Part> services =
        reversed.stream().filter(p -> !p.name().equals(LocalFleet.KAFKA)).toList();
    List<Part> broker = reversed.stream().filter(p -> p.name().equals(LocalFleet.KAFKA)).toList();
    List<String> survivors = new ArrayList<>();
    for (List<Part> wave : List.of(services, broker)) {
      List<Part> running = wave.stream().filter(p -> p.process().isPresent()).toList();
      running.forEach(p -> p.process().ifPresent(ProcessHandle::destroy));
      for (Part p : running) {
        Optional<ProcessHandle> h = p.process();
        if (h.isPresent() && !awaitExit(h.get(), STOP_GRACE)) {
          h.get().destroyForcibly();
          if (!awaitExit(h.get(), STOP_GRACE)) {
            survivors.add(p.name() + " (pid " + p.pid() + ")");
          }
        }
        stopped.add(p);
      }
    }
    if (!survivors.isEmpty()) {
      throw new IllegalStateException("still running after SIGKILL: " + survivors);
    }
    return stopped;
  }

  private static boolean awaitExit(ProcessHandle h, Duration timeout) throws InterruptedException {
    try {
      h.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return !h.isAlive();
    } catch (ExecutionException e) {
      return !h.isAlive();
    }
  }
}
