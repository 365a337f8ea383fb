package io.qatfleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code qat list}: every job the trainer shows the caller ({@code GET /jobs}: a submitter its own,
 * an operator all; most recently updated first), one line each: id, name, owner, stage, round,
 * decision, last update.
 */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "List the jobs of a running fleet.")
final class ListCommand extends FleetCommand {
  private static final String ROW = "%-36s  %-24s  %-12s  %-12s  %5s  %-9s  %s%n";

  @Mixin FleetOptions.Trainer trainer;

  @Override
  int run(PrintWriter out) {
    out.print(table(trainer.client().jobs()));
    return 0;
  }

  /** The job list as a table, or a line saying there are no jobs. */
  static String table(JsonNode jobs) {
    if (jobs.size() == 0) {
      return "no jobs" + System.lineSeparator();
    }
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT, ROW, "JOB", "NAME", "OWNER", "STAGE", "ROUND", "DECISION", "UPDATED"));
    for (JsonNode job : jobs) {
      s.append(
          String.format(
              Locale.ROOT,
              ROW,
              StatusCommand.text(job, "jobId"),
              StatusCommand.text(job, "name"),
              StatusCommand.text(job, "owner"),
              StatusCommand.text(job, "stage"),
              job.path("round").asInt(),
              StatusCommand.text(job, "decision"),
              StatusCommand.text(job, "updated")));
    }
    return s.toString();
  }
}
