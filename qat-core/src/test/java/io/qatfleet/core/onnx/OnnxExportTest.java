package io.qatfleet.core.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtException;
import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.infer.IntegerEngine;
import io.qatfleet.core.infer.QuantizedLayer;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.quant.Granularity;
import io.qatfleet.core.quant.QuantSpec;
import io.qatfleet.core.quant.QuantizedTensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A hand-made two-layer integer MLP, its outputs worked by hand, exported and run in ONNX Runtime;
 * and the models the export refuses.
 */
class OnnxExportTest {
  private static final QuantSpec W8 = QuantSpec.weights(8, Granularity.PER_TENSOR);
  private static final ModelSpec SPEC =
      new ModelSpec(Architecture.MLP, List.of(), List.of(2), false, 2, 1, 2);

  /**
   * Input pixels (q_x) at step 1/255. Layer 0: W0 = [[1, -2], [3, 1]] ([in, out]), s_w = 0.01, bias
   * [5, -100]; its output enters layer 1 on a 4-bit grid (0..15) of step 0.002, so M = (0.01/255) /
   * 0.002 = 1/51. Layer 1: W1 = [[4, -1], [7, 7]], s_w = 0.5, bias [0, 2]; logits = acc·0.002·0.5.
   */
  private static QuantizedModel handModel(int[] zeroPoints) {
    List<LayerShape> shapes = LayerShape.of(SPEC);
    QuantizedLayer l0 =
        new QuantizedLayer(
            shapes.get(0),
            new QuantizedTensor(
                new long[] {2, 2}, new byte[] {1, -2, 3, 1}, new float[] {0.01f}, zeroPoints, W8),
            new int[] {5, -100},
            1f / 255,
            QuantSpec.unsignedActivations(8));
    QuantizedLayer l1 =
        new QuantizedLayer(
            shapes.get(1),
            new QuantizedTensor(
                new long[] {2, 2}, new byte[] {4, -1, 7, 7}, new float[] {0.5f}, new int[1], W8),
            new int[] {0, 2},
            0.002f,
            QuantSpec.unsignedActivations(4));
    return new QuantizedModel(SPEC, List.of(l0, l1));
  }

  @Test
  void runsHandWorkedModelInOnnxRuntime() throws OrtException {
    // Sample A, pixels (10, 200): acc0 = (10·1 + 200·3 + 5, 10·(-2) + 200·1 - 100) = (615, 80);
    //   615/51 = 12.06 → 12, 80/51 = 1.57 → 2; acc1 = (12·4 + 2·7, 12·(-1) + 2·7 + 2) = (62, 4);
    //   logits = (0.062, 0.004).
    // Sample B, pixels (255, 255): acc0 = (1025, -355); 1025/51 = 20.1 → clipped to 15, -355 → 0;
    //   acc1 = (15·4, 15·(-1) + 2) = (60, -13); logits = (0.060, -0.013).
    Dataset data =
        new Dataset(
            "hand", 2, 1, 2, new byte[] {10, (byte) 200, (byte) 255, (byte) 255}, new byte[2]);
    byte[] onnx = OnnxExporter.exportQuantized(handModel(new int[1]), Map.of());
    float[][] expected = {{0.062f, 0.004f}, {0.060f, -0.013f}};
    try (OrtRunner ort = new OrtRunner(onnx)) {
      float[][] logits = ort.logits(data);
      for (int i = 0; i < expected.length; i++) {
        assertThat(logits[i][0]).isCloseTo(expected[i][0], within(1e-6f));
        assertThat(logits[i][1]).isCloseTo(expected[i][1], within(1e-6f));
      }
    }
    IntegerEngine engine = new IntegerEngine(handModel(new int[1]));
    assertThat(engine.logits(data, 1)[1]).isCloseTo(-0.013f, within(1e-6f));
  }

  @Test
  void writesOpsetIrVersionAndMetadata() throws OrtException {
    byte[] onnx =
        OnnxExporter.exportQuantized(handModel(new int[1]), Map.of("qat.checkpoint", "abc"));
    try (OrtRunner ort = new OrtRunner(onnx)) {
      var meta = ort.metadata();
      assertThat(meta.getProducerName()).isEqualTo(OnnxExporter.PRODUCER);
      assertThat(meta.getCustomMetadata())
          .containsEntry("qat.checkpoint", "abc")
          .containsEntry("qat.kind", "quantized")
          .containsEntry("qat.layers", "W8A8/per_tensor,W8A4/per_tensor");
    }
    // ModelProto field 1 (ir_version, varint: tag 0x08) is written first: 7.
    assertThat(onnx[0]).isEqualTo((byte) 0x08);
    assertThat(onnx[1]).isEqualTo((byte) 7);
    // opset_import (field 8, tag 0x42), 4 bytes: domain "" (tag 0x0a, length 0), version 13
    // (tag 0x10, varint 0x0d).
    byte[] opsetImport = {0x42, 0x04, 0x0a, 0x00, 0x10, 0x0d};
    assertThat(indexOf(onnx, opsetImport)).isNotNegative();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (java.util.Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void refusesAsymmetricWeights() {
    assertThatThrownBy(() -> OnnxExporter.exportQuantized(handModel(new int[] {3}), Map.of()))
        .isInstanceOf(OnnxExportException.class)
        .hasMessageContaining("layer 0: weight zero point 3 is not supported");
  }

  @Test
  void refusesFloatModelWithMissingTensor() {
    ModelState empty = new ModelState(Map.of());
    assertThatThrownBy(() -> OnnxExporter.exportFloat(SPEC, empty, Map.of()))
        .isInstanceOf(OnnxExportException.class)
        .hasMessageContaining("float model has no tensor 'layer0.kernel'");
  }

  @Test
  void onnxRuntimeRejectsTruncatedFile() {
    byte[] onnx = OnnxExporter.exportQuantized(handModel(new int[1]), Map.of());
    byte[] truncated = java.util.Arrays.copyOf(onnx, onnx.length / 2);
    assertThatThrownBy(() -> new OrtRunner(truncated)).isInstanceOf(OrtException.class);
  }
}
