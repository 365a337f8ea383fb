package io.qatfleet.cli;

import io.qatfleet.core.job.JobSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code qat submit job.json}: reads and validates a job spec locally (so a typo never reaches the
 * fleet), posts it to the trainer's job API and prints the new job's id on standard output, alone,
 * for scripts ({@code qat follow $(qat submit job.json)}).
 */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    description = "Submit a job spec to a running fleet; prints the job id.")
final class SubmitCommand extends FleetCommand {
  @Parameters(index = "0", paramLabel = "JOB.json", description = "The job spec.")
  Path jobFile;

  @Mixin FleetOptions.Trainer trainer;

  @Override
  int run(PrintWriter out) {
    JobSpec spec = readSpec(jobFile);
    spec.warnings().forEach(w -> err().println("warning: " + w));
    out.println(trainer.client().submit(spec.toJson()));
    return 0;
  }

  /** The spec in {@code file}, valid, or a {@link CliFailure} naming the file and the problem. */
  static JobSpec readSpec(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new CliFailure(
          "cannot read job spec "
              + file
              + ": "
              + (Files.exists(file) ? e.getMessage() : "no such file"));
    }
    JobSpec spec;
    try {
      spec = JobSpec.fromJson(text);
    } catch (IllegalArgumentException e) {
      throw new CliFailure("invalid job spec " + file + ": " + e.getMessage());
    }
    if (spec == null) {
      throw new CliFailure("invalid job spec " + file + ": must be a JSON object");
    }
    List<String> violations = spec.violations();
    if (!violations.isEmpty()) {
      throw new CliFailure("invalid job spec " + file + ": " + String.join("; ", violations));
    }
    return spec;
  }
}
