package io.qatfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class FleetBenchTest {
  @Test
  void rejectsFewerThanOneJobAndBadTrainerCountsBeforeStartingAnything() {
    assertThat(FleetBench.problems(0, List.of(1, 2), 120))
        .containsExactly("--jobs: must be at least 1, got 0");
    assertThat(FleetBench.problems(2, List.of(0, 9), 120))
        .containsExactly(
            "--trainers: each count must be 1 to 8, got 0",
            "--trainers: each count must be 1 to 8, got 9");
    assertThat(FleetBench.problems(2, List.of(), 0))
        .containsExactly(
            "--trainers: name at least one trainer count",
            "--timeout-minutes: must be at least 1, got 0");
    assertThat(FleetBench.problems(1, List.of(1), 1)).isEmpty();
  }

  @Test
  void badArgumentsAreAUsageError() {
    StringWriter err = new StringWriter();
    int code =
        new CommandLine(new BenchCli())
            .setErr(new PrintWriter(err))
            .execute("fleet", "--jobs", "0", "--trainers", "1,2");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--jobs: must be at least 1, got 0");
  }

  @Test
  void readsTheCountOfATimerFromPrometheusText() {
    String metrics =
        """
        # TYPE qat_train_duration_seconds summary
        qat_train_duration_seconds_count{outcome="error",stage="baseline"} 0.0
        qat_train_duration_seconds_count{outcome="ok",stage="baseline"} 3.0
        qat_train_duration_seconds_count{outcome="ok",stage="qat",} 2.0
        qat_train_duration_seconds_sum{outcome="ok",stage="qat"} 51.2
        """;

    assertThat(FleetBench.count(metrics, "qat_train_duration_seconds_count", "baseline"))
        .isEqualTo(3);
    assertThat(FleetBench.count(metrics, "qat_train_duration_seconds_count", "qat")).isEqualTo(2);
    assertThat(FleetBench.count("", "qat_train_duration_seconds_count", "qat")).isEqualTo(-1);
  }
}
