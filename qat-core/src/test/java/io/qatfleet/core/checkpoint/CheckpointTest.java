package io.qatfleet.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class CheckpointTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Provenance PROVENANCE =
      new Provenance("job-1", 0, null, "mnist", "test", "2025-11-26T22:22:00Z");

  private static Map<String, TensorData> tensors(String... names) {
    Map<String, TensorData> map = new LinkedHashMap<>();
    for (String name : names) {
      map.put(name, TensorData.ofFloats(new long[] {1}, new float[] {1f}));
    }
    return map;
  }

  private static Checkpoint floatCheckpoint(Map<String, TensorData> tensors) {
    return new Checkpoint(CheckpointKind.FLOAT, tensors, JSON.createObjectNode(), null, PROVENANCE);
  }

  @Test
  void rejectsMissingTensorNamingPresentOnes() {
    Checkpoint cp = floatCheckpoint(tensors("dense/kernel", "dense/bias"));

    assertThatThrownBy(() -> cp.tensor("conv/kernel"))
        .isInstanceOf(NoSuchElementException.class)
        .hasMessageContaining("'conv/kernel'")
        .hasMessageContaining("[dense/kernel, dense/bias]");
  }

  @Test
  void rejectsQuantizedCheckpointWithoutQuantization() {
    assertThatThrownBy(
            () ->
                new Checkpoint(
                    CheckpointKind.QUANTIZED,
                    tensors("w"),
                    JSON.createObjectNode(),
                    null,
                    PROVENANCE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("quantization must not be null for a QUANTIZED checkpoint");
  }

  @Test
  void rejectsTensorNamedLikeMetadata() {
    assertThatThrownBy(() -> floatCheckpoint(tensors("__metadata__")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'__metadata__'");
  }

  @Test
  void rejectsEmptyTensorMap() {
    assertThatThrownBy(() -> floatCheckpoint(Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tensors must not be empty");
  }

  @Test
  void keepsTensorOrder() {
    Checkpoint cp = floatCheckpoint(tensors("z", "a", "m"));

    assertThat(cp.tensors().keySet()).containsExactly("z", "a", "m");
  }

  @Test
  void distinguishesTensorOrderInEquality() {
    assertThat(floatCheckpoint(tensors("a", "b"))).isNotEqualTo(floatCheckpoint(tensors("b", "a")));
  }

  @Test
  void isUnaffectedByLaterChangesToItsInputs() {
    Map<String, TensorData> map = tensors("w");
    ObjectNode spec = JSON.createObjectNode().put("layers", 2);
    Checkpoint cp = new Checkpoint(CheckpointKind.FLOAT, map, spec, null, PROVENANCE);
    map.put("extra", TensorData.ofInts(new long[] {1}, new int[] {1}));
    spec.put("layers", 3);
    ((ObjectNode) cp.modelSpec()).put("layers", 4);

    assertThat(cp.tensors()).containsOnlyKeys("w");
    assertThat(cp.modelSpec().get("layers").intValue()).isEqualTo(2);
  }
}
