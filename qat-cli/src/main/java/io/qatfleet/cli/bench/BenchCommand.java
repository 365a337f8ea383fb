package io.qatfleet.cli.bench;

import picocli.CommandLine.Command;

/**
 * {@code qat bench}: the benchmarks whose tables live under {@code docs/benchmarks/}. Each
 * subcommand measures one thing, prints its table and writes it (with the machine, the command and
 * the date) to the file named by {@code --out}.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks: model quality, training speed, and the fleet pipeline.",
    subcommands = {QualityCommand.class, SpeedCommand.class, TransferBench.class, FleetBench.class})
public final class BenchCommand {}
