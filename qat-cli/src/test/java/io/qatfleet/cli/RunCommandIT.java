package io.qatfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.CheckpointKind;
import io.qatfleet.core.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code qat run --quick job.json} end to end, in this JVM: it starts its own broker and the three
 * packaged services, runs the job, writes the artifacts and stops everything.
 */
class RunCommandIT {
  private static final String LENIENT_JOB =
      """
      {"name": "run-it",
       "model": {"architecture": "cnn", "convChannels": [8, 16], "denseUnits": [32]},
       "quantization": {"weightBits": 8, "activationBits": 8, "method": "lsq_pact"},
       "thresholds": {"accuracy": {"maxAbsDrop": 0.5}},
       "maxRounds": 1}
      """;

  @Test
  void runsQuickJobAndWritesTheArtifacts() throws Exception {
    Path root = Path.of(System.getProperty("qat.repo.root", "..")).toAbsolutePath().normalize();
    Path work = Files.createTempDirectory(root.resolve("qat-cli/target"), "run-it-");
    Path job = Files.writeString(work.resolve("job.json"), LENIENT_JOB);
    Path runs = work.resolve("runs");

    int exit =
        QatCli.run(
            "run",
            "--quick",
            "--repo",
            root.toString(),
            "--runs-dir",
            runs.toString(),
            job.toString());

    assertThat(exit).isZero();
    Path jobDir;
    try (Stream<Path> dirs = Files.list(runs)) {
      List<Path> jobs = dirs.filter(p -> !p.getFileName().toString().startsWith("fleet-")).toList();
      assertThat(jobs).hasSize(1);
      jobDir = jobs.get(0);
    }
    JsonNode report = Json.MAPPER.readTree(jobDir.resolve("report.json").toFile());
    assertThat(report.get("jobId").asText()).isEqualTo(jobDir.getFileName().toString());
    assertThat(report.at("/outcome/status").asText()).isEqualTo("APPROVED");
    assertThat(report.at("/outcome/modelName").asText()).isEqualTo("run-it");
    assertThat(report.at("/outcome/keyId").asText()).matches("[0-9a-f]{16}");
    assertThat(report.at("/outcome/thresholdSource").asText()).isEqualTo("spec");
    // Round 0 is the post-training quantization reported beside the job; round 1 was approved.
    assertThat(report.get("rounds")).hasSize(2);
    assertThat(report.at("/rounds/0/round").asInt()).isZero();
    assertThat(report.at("/rounds/1/round").asInt()).isEqualTo(1);
    assertThat(jobDir.resolve("logs").resolve("trainer-service.log")).isNotEmptyFile();
    assertThat(Files.readString(jobDir.resolve("report.html")))
        .contains("data:image/png;base64,")
        .doesNotContain("https://");

    Path checkpoint;
    try (Stream<Path> files = Files.list(jobDir)) {
      checkpoint =
          files.filter(p -> p.toString().endsWith(".safetensors")).findFirst().orElseThrow();
    }
    String sha256 = checkpoint.getFileName().toString().replace(".safetensors", "");
    Checkpoint decoded = new CheckpointCodec().read(checkpoint, sha256);
    assertThat(decoded.kind()).isEqualTo(CheckpointKind.QUANTIZED);
    // The approved ONNX model lies beside it, the size the report gives, its digest the approval's.
    Path onnx = jobDir.resolve("model.onnx");
    assertThat(onnx).isNotEmptyFile();
    assertThat(report.at("/modelBytes/onnx").asLong()).isEqualTo(Files.size(onnx));
    assertThat(report.at("/modelBytes/quantized").asLong()).isEqualTo(Files.size(checkpoint));
    assertThat(Files.readString(jobDir.resolve("report.md")))
        .contains("ONNX Runtime vs integer engine agreement");
  }
}
