package io.qatfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.infer.QuantizedLayer;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.onnx.OnnxExporter;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import io.qatfleet.core.quant.Granularity;
import io.qatfleet.core.quant.QuantSpec;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.quant.QuantizedTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportCommandTest {
  @TempDir Path dir;

  private Path quantizedCheckpoint() throws Exception {
    ModelSpec spec = new ModelSpec(Architecture.MLP, List.of(), List.of(2), false, 2, 1, 2);
    List<LayerShape> shapes = LayerShape.of(spec);
    QuantSpec w4 = QuantSpec.weights(4, Granularity.PER_TENSOR);
    QuantizedModel model =
        new QuantizedModel(
            spec,
            List.of(
                new QuantizedLayer(
                    shapes.get(0),
                    new QuantizedTensor(
                        new long[] {2, 2},
                        new byte[] {1, -2, 3, 1},
                        new float[] {0.01f},
                        new int[1],
                        w4),
                    new int[] {5, -100},
                    1f / 255,
                    QuantSpec.unsignedActivations(8)),
                new QuantizedLayer(
                    shapes.get(1),
                    new QuantizedTensor(
                        new long[] {2, 2},
                        new byte[] {4, -1, 7, 7},
                        new float[] {0.5f},
                        new int[1],
                        w4),
                    new int[] {0, 2},
                    0.002f,
                    QuantSpec.unsignedActivations(4))));
    return new CheckpointCodec()
        .write(
            dir,
            ModelCheckpoints.ofQuantized(
                model,
                QuantizationSpec.of(4, 4, null),
                new Provenance("job", 1, null, "mnist", "test", "2026-12-01T00:00:00Z")));
  }

  @Test
  void exportsQuantizedCheckpointAsOnnx() throws Exception {
    Path checkpoint = quantizedCheckpoint();
    Path out = dir.resolve("out/model.onnx");
    int code =
        QatCli.run("export", checkpoint.toString(), "--format", "onnx", "-o", out.toString());
    assertThat(code).isZero();
    byte[] onnx = Files.readAllBytes(out);
    // ModelProto field 1, ir_version
    assertThat(onnx[0]).isEqualTo((byte) 0x08);
    assertThat(onnx[1]).isEqualTo((byte) OnnxExporter.IR_VERSION);
    // The hidden dense layer requantizes straight into the logits layer's input (a 1x1
    // QLinearConv); the logits layer accumulates with MatMulInteger.
    assertThat(new String(onnx, java.nio.charset.StandardCharsets.ISO_8859_1))
        .contains("QLinearConv", "MatMulInteger", "qat.checkpoint_sha256");
  }

  @Test
  void refusesCheckpointWhoseBytesDoNotMatchItsName() throws Exception {
    Path checkpoint = quantizedCheckpoint();
    byte[] bytes = Files.readAllBytes(checkpoint);
    bytes[bytes.length - 1] ^= 1;
    Files.write(checkpoint, bytes);
    int code = QatCli.run("export", checkpoint.toString(), "-o", dir.resolve("m.onnx").toString());
    assertThat(code).isEqualTo(1);
    assertThat(dir.resolve("m.onnx")).doesNotExist();
  }

  @Test
  void rejectsUnknownFormatWithUsageExitCode() throws Exception {
    Path checkpoint = quantizedCheckpoint();
    assertThat(QatCli.run("export", checkpoint.toString(), "--format", "tflite", "-o", "x"))
        .isEqualTo(2);
  }
}
