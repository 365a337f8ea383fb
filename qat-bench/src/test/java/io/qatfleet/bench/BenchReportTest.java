package io.qatfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchReportTest {
  @Test
  void headsTheFileWithTheMachineTheDateTheCommandAndTheLoad() {
    MachineInfo machine =
        new MachineInfo(
            "Some CPU @ 2.50GHz",
            2,
            23.5,
            "Linux 6.1",
            "OpenJDK 64-Bit Server VM 17",
            Instant.parse("2026-11-27T09:30:00Z"));

    String header =
        BenchReport.header(
            "Title", machine, BenchReport.command(List.of("transfer", "--repeats", "2")), 1.5);

    assertThat(header)
        .isEqualTo(
            "# Title\n\n"
                + machine.markdown("./qat bench transfer --repeats 2")
                + "Load average (1 min) when it started: 1.50.\n\n");
    assertThat(header).contains("Some CPU @ 2.50GHz, 2 cores, 23.5 GiB memory");
  }

  @Test
  void quotesArgumentsTheShellWouldSplit() {
    assertThat(BenchReport.command(List.of("quality", "--title", "A b's", "--x=", "")))
        .isEqualTo("./qat bench quality --title 'A b'\\''s' --x= ''");
  }

  @Test
  void quotesTheMedianWithTheRange() {
    assertThat(BenchReport.quote(Stats.of(130.0, 97.0, 118.0), 0)).isEqualTo("118 (97–130)");
    assertThat(BenchReport.quote(Stats.of(4.0, 1.0, 3.0, 2.0), 1)).isEqualTo("2.5 (1.0–4.0)");
  }

  @Test
  void quotesOneValueWithoutARange() {
    assertThat(BenchReport.quote(Stats.of(12.345), 1)).isEqualTo("12.3");
  }
}
