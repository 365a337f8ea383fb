package io.qatfleet.cli;

import io.qatfleet.core.BuildInfo;
import io.qatfleet.core.model.Architecture;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code qat} command. Exit codes: 0 success, 1 failure, 2 bad usage. The benchmarks ({@code
 * ./qat bench}) are a separate program that runs through {@link #execute} as well.
 */
@Command(
    name = "qat",
    mixinStandardHelpOptions = true,
    versionProvider = QatCli.Version.class,
    description =
        "Quantization-aware training: experiments, the local fleet, and a running fleet's client.",
    footer = {"", "The benchmarks behind docs/benchmarks/: ./qat bench --help"},
    subcommands = {
      ExperimentCommand.class,
      RunCommand.class,
      UpCommand.class,
      PsCommand.class,
      LogsCommand.class,
      DownCommand.class,
      SubmitCommand.class,
      CancelCommand.class,
      StatusCommand.class,
      ListCommand.class,
      TriggerCommand.class,
      DlqCommand.class,
      FollowCommand.class,
      VerifyCommand.class,
      PullCommand.class,
      ExportCommand.class,
      TokenCommand.class
    })
public final class QatCli {
  /** {@code qat --version}: the same code version every checkpoint's provenance records. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {BuildInfo.codeVersion()};
    }
  }

  public static void main(String[] args) {
    quietLogs();
    System.exit(run(args));
  }

  static int run(String... args) {
    return execute(new CommandLine(new QatCli()), args);
  }

  /** Kafka clients log every partition reset at INFO; the user wants the job's progress. */
  public static void quietLogs() {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
  }

  /**
   * Runs {@code cli} on {@code args} as every {@code qat} command runs: enum values in any case
   * (architectures as written in job specs, {@code mobilenet-tiny}), a failure printed as one
   * {@code qat: <message>} line with exit code 1.
   */
  public static int execute(CommandLine cli, String... args) {
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.registerConverter(Architecture.class, Architecture::parse);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("qat: " + e.getMessage());
          return 1;
        });
    return cli.execute(args);
  }
}
