package io.qatfleet.cli;

import io.qatfleet.cli.fleet.RunningFleet;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;

/**
 * {@code qat down}: stops every process of the fleet {@code qat up} started (services first, then
 * the broker; SIGTERM, then SIGKILL after {@link RunningFleet#STOP_GRACE}), checks that none runs
 * any more, and removes the fleet's {@value RunningFleet#FILE}. Logs, state, the broker's data and
 * the fleet's keys stay, for {@code qat logs} and for the next {@code qat up}.
 */
@Command(
    name = "down",
    mixinStandardHelpOptions = true,
    description = "Stop the fleet `qat up` started (its logs and data stay).")
final class DownCommand extends FleetCommand {
  @Override
  int run(PrintWriter out) throws InterruptedException {
    Path home = RunningFleet.defaultDir();
    Optional<RunningFleet> fleet = UpCommand.readFleet(home);
    if (fleet.isEmpty()) {
      out.println("no fleet is up (no " + home.resolve(RunningFleet.FILE) + ")");
      return 0;
    }
    List<RunningFleet.Part> stopped;
    try {
      stopped = fleet.get().stop();
    } catch (IllegalStateException e) {
      throw new CliFailure(e.getMessage() + "; " + RunningFleet.FILE + " kept");
    }
    RunningFleet.forget(home);
    out.println(
        stopped.isEmpty()
            ? "no process of the fleet was running any more"
            : "stopped "
                + String.join(", ", stopped.stream().map(RunningFleet.Part::name).toList()));
    out.println("logs and data kept in " + home + " (the next `qat up` starts on them)");
    return 0;
  }
}
