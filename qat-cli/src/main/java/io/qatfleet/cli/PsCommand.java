package io.qatfleet.cli;

import io.qatfleet.cli.fleet.RunningFleet;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Command;

/**
 * {@code qat ps}: the processes of the fleet {@code qat up} started, each with its pid, whether it
 * runs and answers its readiness check, and where clients reach it. Exit code 0 when every part is
 * ready, 1 otherwise (or when no fleet is up).
 */
@Command(
    name = "ps",
    mixinStandardHelpOptions = true,
    description = "Show the processes of the fleet `qat up` started.")
final class PsCommand extends FleetCommand {
  private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(3);

  /** The state of a part that runs and answers its readiness check (or has none). */
  static final String READY = "ready";

  @Override
  int run(PrintWriter out) {
    RunningFleet fleet =
        UpCommand.readFleet(RunningFleet.defaultDir())
            .orElseThrow(
                () -> new CliFailure("no fleet is up (`qat up` starts one in the background)"));
    String table = table(fleet);
    out.print(table);
    boolean allReady = fleet.parts().stream().allMatch(p -> state(p).equals(READY));
    return allReady ? 0 : 1;
  }

  /** One line per part: name, pid, state, address. */
  static String table(RunningFleet fleet) {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "%-18s %8s  %-9s %s%n", "PART", "PID", "STATE", "ADDRESS"));
    for (RunningFleet.Part p : fleet.parts()) {
      s.append(
          String.format(
              Locale.ROOT, "%-18s %8d  %-9s %s%n", p.name(), p.pid(), state(p), p.address()));
    }
    return s.toString();
  }

  /** {@value #READY}, {@code starting} (runs, not ready yet) or {@code exited}. */
  static String state(RunningFleet.Part part) {
    if (part.process().isEmpty()) {
      return "exited";
    }
    if (part.healthUrl() == null) {
      return READY;
    }
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(part.healthUrl())).timeout(HEALTH_TIMEOUT).build();
    try {
      int status =
          HttpClient.newBuilder()
              .connectTimeout(HEALTH_TIMEOUT)
              .build()
              .send(request, HttpResponse.BodyHandlers.discarding())
              .statusCode();
      return status == 200 ? READY : "not ready";
    } catch (IOException e) {
      return "not ready";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "not ready";
    }
  }
}
