package io.qatfleet.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code qat cancel <jobId>}: asks the trainer's job API to cancel a job ({@code DELETE
 * /jobs/{id}}, allowed to the job's owner and to operators). The trainer running a round of it
 * stops before its next training step and ends the job with {@code JobFailed}; {@code qat follow}
 * then exits 1 with the reason.
 */
@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description = "Cancel a job of a running fleet (its owner or an operator).")
final class CancelCommand extends FleetCommand {
  @Parameters(index = "0", paramLabel = "JOB_ID", description = "The job.")
  String jobId;

  @Option(
      names = "--reason",
      paramLabel = "TEXT",
      description = "Why, recorded in the job's history and its JobFailed.")
  String reason;

  @Mixin FleetOptions.Trainer trainer;

  @Override
  int run(PrintWriter out) {
    trainer.client().cancel(jobId, reason);
    out.println(
        "cancelled "
            + jobId
            + ": the trainer stops it before its next training step and ends it with JobFailed");
    return 0;
  }
}
