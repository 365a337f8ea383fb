package io.qatfleet.cli;

import io.qatfleet.cli.fleet.FleetStartException;
import io.qatfleet.cli.fleet.LocalAuth;
import io.qatfleet.cli.fleet.LocalFleet;
import io.qatfleet.cli.fleet.LocalPrometheus;
import io.qatfleet.cli.fleet.RunningFleet;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code qat up}: starts the local fleet in the background and returns: the Kafka broker (KRaft,
 * Kafka's own jars) on port 9092, the three packaged services on their usual ports, and Prometheus
 * beside them where Debian's {@code prometheus} is installed, all as {@link LocalFleet} starts them
 * for {@code qat run}, but left running. What it started is written to the fleet's {@value
 * RunningFleet#FILE} ({@link RunningFleet#defaultDir()}, with the logs, the services' state, the
 * broker's data and the fleet's keys), where the client commands find the fleet and {@code qat
 * down} finds what to stop. The local user's token is saved, as {@code qat run} saves it. A fleet
 * already up is reported, not started twice; a file left by a fleet whose processes are all gone is
 * replaced, and the next start reuses its data, so registered models survive a {@code down}/{@code
 * up}.
 */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description =
        "Start the local fleet in the background: Kafka, the three services (and Prometheus where"
            + " installed).")
final class UpCommand extends FleetCommand {
  @Option(
      names = "--port-offset",
      paramLabel = "N",
      description =
          "Added to every port (broker 9092, services 8081-8083, their management ports"
              + " 9081-9083, Prometheus 9090), to run beside another fleet (default: 0).")
  int portOffset;

  @Option(
      names = "--no-prometheus",
      description = "Do not start Prometheus even where it is installed.")
  boolean noPrometheus;

  @Mixin FleetOptions.Repo repo;

  @Override
  int run(PrintWriter out) throws IOException, InterruptedException {
    if (portOffset < 0 || portOffset > 50_000) {
      throw new CliFailure("--port-offset must be between 0 and 50000, got " + portOffset);
    }
    Path home = RunningFleet.defaultDir();
    Optional<RunningFleet> existing = readFleet(home);
    if (existing.isPresent()) {
      RunningFleet fleet = existing.get();
      List<RunningFleet.Part> running = fleet.running();
      if (running.size() == fleet.parts().size()) {
        out.println("a fleet is already up, since " + fleet.started() + " (qat down stops it):");
        out.print(PsCommand.table(fleet));
        return 0;
      }
      if (!running.isEmpty()) {
        throw new CliFailure(
            "the fleet in "
                + home
                + " is only partly up ("
                + String.join(", ", stopped(fleet, running))
                + " not running): `qat down`, then `qat up`");
      }
      err()
          .println(
              "note: no process of the fleet "
                  + home.resolve(RunningFleet.FILE)
                  + " describes runs any more; starting it again on its data");
      RunningFleet.forget(home);
    }
    Files.createDirectories(home);
    out.println("starting the fleet in " + home + " ...");
    out.flush();
    long t0 = System.nanoTime();
    LocalFleet fleet;
    try {
      fleet =
          LocalFleet.start(
              repo.root(),
              home,
              null,
              portOffset,
              1,
              LocalFleet.DEFAULT_BROKER_PORT + portOffset,
              false);
    } catch (FleetStartException e) {
      return startFailed(e);
    }
    List<RunningFleet.Part> parts = new ArrayList<>(fleet.detach());
    String prometheusNote = null;
    try {
      Optional<Path> prometheus = noPrometheus ? Optional.empty() : LocalPrometheus.binary();
      if (prometheus.isPresent()) {
        parts.add(
            LocalPrometheus.start(
                prometheus.get(),
                repo.root(),
                home,
                parts.stream().filter(p -> p.healthUrl() != null).toList(),
                LocalPrometheus.DEFAULT_PORT + portOffset));
      } else {
        prometheusNote =
            noPrometheus
                ? "Prometheus: not started (--no-prometheus)"
                : "Prometheus: skipped, no `prometheus` on PATH (Debian: apt-get install"
                    + " prometheus)";
      }
      new RunningFleet(
              home.toString(),
              fleet.bootstrapServers(),
              fleet.url("trainer-service"),
              fleet.url("validator-service"),
              fleet.approvalPublicKeyFile().toString(),
              Instant.now(),
              parts)
          .write();
      LocalAuth.local().saveToken(fleet.token());
    } catch (FleetStartException e) {
      fleet.close();
      return startFailed(e);
    } catch (IOException | RuntimeException e) {
      parts.stream()
          .filter(p -> p.name().equals(LocalPrometheus.NAME))
          .forEach(p -> p.process().ifPresent(ProcessHandle::destroy));
      fleet.close();
      throw e;
    }
    RunningFleet up = RunningFleet.read(home).orElseThrow();
    out.printf(
        Locale.ROOT,
        "fleet up in %.0f s (logs, state and %s in %s):%n",
        (System.nanoTime() - t0) / 1e9,
        RunningFleet.FILE,
        home);
    out.print(PsCommand.table(up));
    if (prometheusNote != null) {
      out.println(prometheusNote);
    }
    out.println(
        "next: qat submit qat-cli/src/main/resources/demo-job.json, qat follow <job id>;"
            + " qat ps, qat logs <part>, qat down");
    return 0;
  }

  private int startFailed(FleetStartException e) {
    err().println("qat up: " + e.getMessage());
    if (!e.logTail().isBlank()) {
      err().println("--- last lines of its log ---\n" + e.logTail());
    }
    return 1;
  }

  private static List<String> stopped(RunningFleet fleet, List<RunningFleet.Part> running) {
    return fleet.parts().stream()
        .filter(p -> !running.contains(p))
        .map(RunningFleet.Part::name)
        .toList();
  }

  /** The fleet described in {@code home}, a broken file being the user's to look at. */
  static Optional<RunningFleet> readFleet(Path home) {
    try {
      return RunningFleet.read(home);
    } catch (IllegalStateException e) {
      throw new CliFailure(e.getMessage());
    }
  }
}
