package io.qatfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.bench.TransferBench.SizeResult;
import io.qatfleet.bench.TransferBench.Transfer;
import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.CheckpointKind;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TransferBenchTest {
  @Test
  void rejectsSizesOutsideOneToTheLimitAndFewerThanOneRepeat() {
    assertThat(TransferBench.problems(List.of(1, 10, 50), 5)).isEmpty();
    assertThat(TransferBench.problems(List.of(0, 2000), 0))
        .containsExactly(
            "--sizes-mb: each size must be 1 to 1024 MB, got 0",
            "--sizes-mb: each size must be 1 to 1024 MB, got 2000",
            "--repeats: must be at least 1, got 0");
    assertThat(TransferBench.problems(List.of(), 1))
        .containsExactly("--sizes-mb: name at least one size");
  }

  @Test
  void badArgumentsAreAUsageErrorBeforeAnyBrokerStarts() {
    StringWriter err = new StringWriter();
    int code =
        new CommandLine(new BenchCli())
            .setErr(new PrintWriter(err))
            .execute("transfer", "--sizes-mb", "1,-5");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("got -5");
  }

  @Test
  void payloadIsAFloatCheckpointOfAboutTheAskedSize() {
    byte[] bytes = TransferBench.payload(1_000_000, 7);

    assertThat(bytes.length).isBetween(990_000, 1_000_000);
    Checkpoint checkpoint = new CheckpointCodec().decode(bytes);
    assertThat(checkpoint.kind()).isEqualTo(CheckpointKind.FLOAT);
    assertThat(checkpoint.tensors()).containsKeys("layer0.kernel", "layer2.kernel", "layer3.bias");
    // most bytes in the first dense layer, as in the demo CNN
    assertThat(checkpoint.tensor("layer2.kernel").data().length).isGreaterThan(bytes.length / 2);
  }

  @Test
  void rendersMedianAndRangeAgainstTheDiskBaselineAndTheGoal() {
    // 10 MB: Kafka put 0.05 s and get 0.05 s (200, 200, 100 MB/s); disk 0.02 + 0.02 s.
    List<Transfer> kafka =
        List.of(
            new Transfer(10_000_000, 0.05, 0.05),
            new Transfer(10_000_000, 0.04, 0.06),
            new Transfer(10_000_000, 0.10, 0.10));
    List<Transfer> disk =
        List.of(
            new Transfer(10_000_000, 0.02, 0.02),
            new Transfer(10_000_000, 0.02, 0.02),
            new Transfer(10_000_000, 0.02, 0.02));
    SizeResult tenMb = new SizeResult(10, 10_000_000, 20, kafka, disk, List.of(0.02, 0.025, 0.02));
    SizeResult oneMb =
        new SizeResult(
            1,
            1_000_000,
            2,
            List.of(new Transfer(1_000_000, 0.01, 0.01)),
            List.of(new Transfer(1_000_000, 0.001, 0.001)),
            List.of(0.002));

    String report = TransferBench.report(List.of(oneMb, tenMb), 512 * 1024, "ext4");

    assertThat(report)
        .contains("| checkpoint | path | put MB/s | get MB/s | round trip MB/s |")
        .contains(
            "| 10.00 MB, 20 chunks | Kafka: KafkaCheckpointStore put, another one's get |"
                + " 200 (100–250) | 167 (100–200) | 100 (50–100) | 100.0 (100.0–200.0) | 0.40× |")
        .contains(
            "| 10.00 MB, 20 chunks | baseline: disk, LocalDirCheckpointStore | 500 (500–500) |")
        .contains("| 10.00 MB, 20 chunks | SHA-256 of the bytes alone (one pass) | 500 (400–500) |")
        .contains("Goal: ≥ 100 MB/s")
        .contains("1 MB 50 MB/s, not met; 10 MB 100 MB/s, met.")
        .contains("512 KiB chunks")
        .contains("(ext4)");
  }
}
