package io.qatfleet.bench;

import io.qatfleet.cli.QatCli;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code qat bench}: the benchmarks whose tables live under {@code docs/benchmarks/}. Each
 * subcommand measures one thing, prints its table and writes it (with the machine, the command and
 * the date) to the file named by {@code --out}.
 *
 * <p>A program of its own, so that {@code qat-cli} stays the user's command line: the {@code ./qat}
 * launcher runs this class for {@code ./qat bench ARGS...} with the arguments after {@code bench},
 * and the command is named {@code qat bench} so that usage and error messages read as before. It
 * runs the way every {@code qat} command does ({@link QatCli#execute}).
 */
@Command(
    name = "qat bench",
    mixinStandardHelpOptions = true,
    description =
        "Benchmarks: model quality, training speed, the fleet pipeline, the deployable models, and"
            + " reliability under faults.",
    subcommands = {
      QualityCommand.class,
      PrecisionCommand.class,
      SpeedCommand.class,
      TransferBench.class,
      FleetBench.class,
      RemedyBench.class,
      DeployBench.class,
      ChaosBench.class
    })
public final class BenchCli {
  public static void main(String[] args) {
    QatCli.quietLogs();
    System.exit(QatCli.execute(new CommandLine(new BenchCli()), args));
  }
}
