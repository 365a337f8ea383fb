package io.qatfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchCliTest {
  @Test
  void namesEveryBenchmarkUnderQatBench() {
    CommandLine cli = new CommandLine(new BenchCli());

    assertThat(cli.getSubcommands())
        .containsOnlyKeys(
            "quality", "precision", "speed", "transfer", "fleet", "remedy", "deploy", "chaos");
    assertThat(cli.getSubcommands().get("speed").getUsageMessage())
        .startsWith("Usage: qat bench speed ");
  }
}
