package io.qatfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class QatCliTest {
  @Test
  void rejectsUnknownSubcommandWithUsageExitCode() {
    assertThat(QatCli.run("frobnicate")).isEqualTo(2);
  }

  @Test
  void rejectsMalformedVariantWithUsageExitCode() {
    assertThat(QatCli.run("experiment", "--variants", "W9A4", "--train-limit", "10")).isEqualTo(2);
  }

  @Test
  void rejectsInvalidJobBeforeLoadingData() {
    assertThat(QatCli.run("experiment", "--batch-size", "0")).isEqualTo(2);
  }

  @Test
  void pointsToTheBenchmarksInsteadOfListingThem() {
    CommandLine cli = new CommandLine(new QatCli());

    assertThat(cli.getSubcommands()).doesNotContainKey("bench");
    assertThat(cli.getUsageMessage()).contains("./qat bench --help");
  }
}
