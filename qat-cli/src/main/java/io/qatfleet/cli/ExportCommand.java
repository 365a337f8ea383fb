package io.qatfleet.cli;

import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.onnx.OnnxExporter;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code qat export <checkpoint> --format onnx -o FILE}: a quantized checkpoint as the integer ONNX
 * model, a float checkpoint as the float ONNX model ({@link OnnxExporter}). A checkpoint file named
 * {@code <sha256>.safetensors} is verified against its name first. The file's metadata names the
 * checkpoint's digest ({@code qat.checkpoint_sha256}).
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description =
        "Export a checkpoint as a deployable model: the integer model of a quantized checkpoint, the"
            + " float model of a float one.")
final class ExportCommand implements Callable<Integer> {
  /** Export formats. */
  enum Format {
    ONNX
  }

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "CHECKPOINT", description = "A .safetensors checkpoint.")
  Path checkpoint;

  @Option(
      names = "--format",
      defaultValue = "onnx",
      description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  Format format;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "FILE",
      description = "Where to write the model.")
  Path output;

  @Override
  public Integer call() throws Exception {
    byte[] bytes = Files.readAllBytes(checkpoint);
    String sha = CheckpointCodec.sha256(bytes);
    String fileName = checkpoint.getFileName().toString();
    CheckpointCodec codec = new CheckpointCodec();
    Checkpoint c =
        fileName.endsWith(CheckpointCodec.FILE_SUFFIX)
                && fileName.length() == 64 + CheckpointCodec.FILE_SUFFIX.length()
            ? codec.decode(bytes, fileName.substring(0, 64))
            : codec.decode(bytes);
    byte[] model = OnnxExporter.export(c, Map.of("qat.checkpoint_sha256", sha));
    Path target = output.toAbsolutePath();
    Files.createDirectories(target.getParent());
    Path temp = target.resolveSibling("." + target.getFileName() + ".part");
    Files.write(temp, model);
    Files.move(
        temp,
        target,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        "wrote %s: %s model, ONNX opset %d, %d bytes, sha256 %s (from checkpoint %s, %d bytes)%n",
        output,
        c.kind().toString().toLowerCase(java.util.Locale.ROOT),
        OnnxExporter.OPSET,
        model.length,
        CheckpointCodec.sha256(model),
        sha,
        bytes.length);
    out.flush();
    return 0;
  }
}
