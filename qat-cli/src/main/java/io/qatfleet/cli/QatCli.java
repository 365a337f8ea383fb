package io.qatfleet.cli;

import io.qatfleet.cli.bench.BenchCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code qat} command. Exit codes: 0 success, 1 failure, 2 bad usage. */
@Command(
    name = "qat",
    mixinStandardHelpOptions = true,
    version = "qat-fleet 0.1.0",
    description =
        "Quantization-aware training: experiments, the local fleet, and a running fleet's client.",
    subcommands = {
      ExperimentCommand.class,
      RunCommand.class,
      SubmitCommand.class,
      StatusCommand.class,
      ListCommand.class,
      TriggerCommand.class,
      FollowCommand.class,
      BenchCommand.class
    })
public final class QatCli {
  public static void main(String[] args) {
    // Kafka clients log every partition reset at INFO; the user wants the job's progress.
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    System.exit(run(args));
  }

  static int run(String... args) {
    CommandLine cli = new CommandLine(new QatCli()).setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("qat: " + e.getMessage());
          return 1;
        });
    return cli.execute(args);
  }
}
