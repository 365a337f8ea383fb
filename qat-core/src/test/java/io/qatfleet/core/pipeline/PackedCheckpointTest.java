package io.qatfleet.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.CheckpointException;
import io.qatfleet.core.checkpoint.DType;
import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.checkpoint.TensorData;
import io.qatfleet.core.infer.QuantizedLayer;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.quant.Granularity;
import io.qatfleet.core.quant.QuantSpec;
import io.qatfleet.core.quant.QuantizationBudget;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.quant.QuantizedTensor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Quantized checkpoints store sub-8-bit weight grids packed and read them back unchanged, for every
 * bit width and odd element counts; a format-version-1 checkpoint (levels one per byte) still
 * reads.
 */
class PackedCheckpointTest {
  private static final CheckpointCodec CODEC = new CheckpointCodec();
  private static final Provenance PROVENANCE =
      new Provenance("job", 1, null, "mnist", "test", "2026-12-01T00:00:00Z");

  /** An MLP 3×1 pixels → 5 → 3 classes: kernels of 15 and 15 elements (odd). */
  private static QuantizedModel model(int bits, Granularity granularity, long seed) {
    ModelSpec spec = new ModelSpec(Architecture.MLP, List.of(), List.of(5), false, 3, 1, 3);
    Random random = new Random(seed);
    List<QuantizedLayer> layers = new ArrayList<>();
    for (LayerShape s : LayerShape.of(spec)) {
      QuantSpec w = QuantSpec.weights(bits, granularity);
      byte[] levels = new byte[s.kernelSize()];
      for (int i = 0; i < levels.length; i++) {
        levels[i] = (byte) (w.qmin() + random.nextInt(w.qmax() - w.qmin() + 1));
      }
      float[] scales = new float[w.scaleCount(s.kernelShape())];
      java.util.Arrays.fill(scales, 0.01f);
      layers.add(
          new QuantizedLayer(
              s,
              new QuantizedTensor(s.kernelShape(), levels, scales, new int[scales.length], w),
              new int[s.outChannels()],
              s.index() == 0 ? 1f / 255 : 0.05f,
              QuantSpec.unsignedActivations(bits)));
    }
    return new QuantizedModel(spec, layers);
  }

  private static QuantizedModel roundTrip(QuantizedModel model, int bits) {
    Checkpoint c =
        ModelCheckpoints.ofQuantized(model, QuantizationSpec.of(bits, bits, null), PROVENANCE);
    var encoded = CODEC.encode(c);
    return ModelCheckpoints.quantizedModel(CODEC.decode(encoded.bytes(), encoded.sha256()));
  }

  @Test
  void roundTripsEveryBitWidth() {
    for (int bits = 1; bits <= 8; bits++) {
      for (Granularity g : Granularity.values()) {
        QuantizedModel model = model(bits, g, bits);
        QuantizedModel back = roundTrip(model, bits);
        for (int i = 0; i < model.layers().size(); i++) {
          assertThat(back.layers().get(i).weights().levels())
              .as("W%d %s layer %d", bits, g, i)
              .containsExactly(model.layers().get(i).weights().levels());
        }
      }
    }
  }

  @Test
  void keepsTheBitsAnAutomaticSpecChoseInTheMetadata() {
    QuantizationSpec chosen =
        QuantizationSpec.auto(4, new QuantizationBudget(1.0, null))
            .withLayerWeightBits(new int[] {4, 4});
    Checkpoint c =
        ModelCheckpoints.ofQuantized(model(4, Granularity.PER_CHANNEL, 3), chosen, PROVENANCE);
    var encoded = CODEC.encode(c);
    Checkpoint back = CODEC.decode(encoded.bytes(), encoded.sha256());

    assertThat(ModelCheckpoints.quantizationSpec(back)).isEqualTo(chosen);
    assertThat(back.quantization().get("spec").get("weightBits").asText()).isEqualTo("auto");
    assertThat(back.quantization().get("spec").get("layers").get("1").get("weightBits").asInt())
        .isEqualTo(4);
  }

  @Test
  void storesFourBitLevelsTwoPerByte() {
    Checkpoint c =
        ModelCheckpoints.ofQuantized(
            model(4, Granularity.PER_CHANNEL, 1), QuantizationSpec.of(4, 4, null), PROVENANCE);
    TensorData w = c.tensor("layer0.weight_q");
    assertThat(w.dtype()).isEqualTo(DType.U8);
    assertThat(w.shape()).containsExactly(8); // 15 levels → 8 bytes
    assertThat(c.quantization().get("packing").get("layer0.weight_q").toString())
        .isEqualTo("{\"bits\":4,\"order\":\"lsb_first_twos_complement\",\"shape\":[3,5]}");
    Checkpoint two =
        ModelCheckpoints.ofQuantized(
            model(2, Granularity.PER_TENSOR, 1), QuantizationSpec.of(2, 2, null), PROVENANCE);
    assertThat(two.tensor("layer0.weight_q").shape()).containsExactly(4); // 15 → 4 bytes
    Checkpoint eight =
        ModelCheckpoints.ofQuantized(
            model(8, Granularity.PER_TENSOR, 1), QuantizationSpec.of(8, 8, null), PROVENANCE);
    assertThat(eight.tensor("layer0.weight_q").dtype()).isEqualTo(DType.I8);
  }

  @Test
  void readsFormatVersionOneCheckpoint() {
    QuantizedModel model = model(4, Granularity.PER_CHANNEL, 3);
    Checkpoint v2 =
        ModelCheckpoints.ofQuantized(model, QuantizationSpec.of(4, 4, null), PROVENANCE);
    // The version-1 layout: I8 levels one per byte, no packing in the metadata.
    Map<String, TensorData> tensors = new LinkedHashMap<>(v2.tensors());
    for (QuantizedLayer l : model.layers()) {
      tensors.put(
          l.shape().name("weight_q"), TensorData.ofInt8(l.weights().shape(), l.weights().levels()));
    }
    ObjectNode quantization = v2.quantization().deepCopy();
    quantization.remove("packing");
    Checkpoint v1 =
        new Checkpoint(v2.kind(), tensors, v2.modelSpec(), quantization, v2.provenance());
    byte[] bytes = CODEC.encode(v1).bytes();
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    String marker = "\"format_version\":\"2\"";
    int at = text.indexOf(marker);
    assertThat(at).isPositive();
    bytes[at + marker.length() - 2] = '1';
    Checkpoint decoded = CODEC.decode(bytes);
    QuantizedModel back = ModelCheckpoints.quantizedModel(decoded);
    assertThat(back.layers().get(1).weights().levels())
        .containsExactly(model.layers().get(1).weights().levels());
  }

  @Test
  void rejectsPackedTensorWithoutLayout() {
    Checkpoint v2 =
        ModelCheckpoints.ofQuantized(
            model(4, Granularity.PER_TENSOR, 3), QuantizationSpec.of(4, 4, null), PROVENANCE);
    ObjectNode quantization = v2.quantization().deepCopy();
    quantization.remove("packing");
    Checkpoint broken =
        new Checkpoint(v2.kind(), v2.tensors(), v2.modelSpec(), quantization, v2.provenance());
    assertThatThrownBy(() -> ModelCheckpoints.quantizedModel(broken))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("tensor 'layer0.weight_q' is U8 but the metadata lists no packing");
  }

  @Test
  void rejectsAnImageReadingLayerWithAnotherInputStep() {
    Checkpoint good =
        ModelCheckpoints.ofQuantized(
            model(8, Granularity.PER_TENSOR, 5), QuantizationSpec.of(8, 8, null), PROVENANCE);
    // Layer 0 reads the image (through flatten): its input step is the pixel step, nothing else.
    java.util.Map<String, TensorData> tensors = new java.util.LinkedHashMap<>(good.tensors());
    tensors.put("layer0.input_scale", TensorData.ofFloats(new long[0], new float[] {0.5f}));
    Checkpoint broken =
        new Checkpoint(
            good.kind(), tensors, good.modelSpec(), good.quantization(), good.provenance());
    assertThatThrownBy(() -> ModelCheckpoints.quantizedModel(broken))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("layer 0 of the quantized checkpoint")
        .hasMessageContaining("reads the image, whose step is 1/255, got 0.5");
  }
}
