package io.qatfleet.cli.fleet;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What starting the parts of a local fleet as processes takes: this JVM's {@code java}, a free
 * port, waiting for a readiness URL while the process runs, and a log's tail for the message when
 * it does not come up.
 */
final class FleetProcesses {
  private FleetProcesses() {}

  /**
   * Waits until {@code url} answers 200, as long as {@code process} runs.
   *
   * @throws FleetStartException naming {@code part}, with the tail of its log, when the process
   *     exits or {@code timeout} passes first
   */
  static void awaitHttpOk(String part, Process process, String url, Duration timeout, Path log) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new FleetStartException(
            part, "exited with code " + process.exitValue() + " while starting", tail(log));
      }
      try {
        if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FleetStartException(part, "interrupted while waiting", tail(log));
      }
      sleep(Duration.ofMillis(500));
    }
    throw new FleetStartException(
        part, "not ready within " + timeout.toSeconds() + " s", tail(log));
  }

  /** Last 40 lines of a log, for error messages. */
  static String tail(Path log) {
    try {
      if (!Files.exists(log)) {
        return "";
      }
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  /**
   * The CPUs this process may run on, in order ({@code Cpus_allowed_list} of {@code
   * /proc/self/status}: its affinity mask, which a container's CPU set narrows).
   *
   * @throws IllegalStateException when the list cannot be read (not Linux)
   */
  static List<Integer> allowedCpus() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Cpus_allowed_list:")) {
          return parseCpuList(line.substring(line.indexOf(':') + 1));
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/self/status: " + e.getMessage(), e);
    }
    throw new IllegalStateException("/proc/self/status has no Cpus_allowed_list");
  }

  /** A kernel CPU list ({@code "0-3,8,10-11"}) as the CPUs it names, in order. */
  static List<Integer> parseCpuList(String list) {
    List<Integer> cpus = new ArrayList<>();
    for (String part : list.strip().split(",")) {
      String[] range = part.strip().split("-", -1);
      try {
        int first = Integer.parseInt(range[0]);
        int last = range.length == 2 ? Integer.parseInt(range[1]) : first;
        if (range.length > 2 || first < 0 || last < first || last - first > 4096) {
          throw new NumberFormatException();
        }
        for (int cpu = first; cpu <= last; cpu++) {
          cpus.add(cpu);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a CPU list: \"" + list.strip() + "\"", e);
      }
    }
    return List.copyOf(cpus);
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * Fails when something already listens on {@code port}: a service started there would exit on the
   * clash, while the readiness check answered by the other process made the fleet look started (and
   * talk to a stranger).
   */
  static void requireFree(String part, String what, int port) {
    try (ServerSocket bound = new ServerSocket(port)) {
      // bound on every address: nobody listens there
    } catch (IOException e) {
      throw new FleetStartException(
          part,
          what
              + " "
              + port
              + " is in use by another process (another fleet? `./qat down` stops one started by"
              + " `qat up`; tests and `qat up` take a port offset)",
          "");
    }
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
