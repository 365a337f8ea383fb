package io.qatfleet.core.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.quant.Granularity;
import io.qatfleet.core.quant.QuantSpec;
import io.qatfleet.core.quant.QuantizedTensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A 2×1-pixel MLP with hand-picked integer weights, computed by hand. */
class IntegerEngineTest {
  private static final QuantSpec W8 = QuantSpec.weights(8, Granularity.PER_TENSOR);

  @Test
  void computesHandWorkedMlp() {
    // Input: pixels (q_x) 10 and 200 at scale 1/255. Layer 0: 2 → 2 hidden units, ReLU.
    ModelSpec spec = new ModelSpec(Architecture.MLP, List.of(), List.of(2), false, 2, 1, 2);
    List<LayerShape> shapes = LayerShape.of(spec);
    // W0 = [[1, -2], [3, 1]] ([in, out]), s_w = 0.01, bias_q = [5, -100]
    // acc0 = 10·1 + 200·3 + 5 = 615; acc1 = 10·(-2) + 200·1 - 100 = 80
    // Next layer input scale s_1 = 0.02: M = (1/255·0.01)/0.02 = 1/510
    // q = round(615/510) = round(1.206) = 1; round(80/510) = round(0.157) = 0
    QuantizedLayer l0 =
        new QuantizedLayer(
            shapes.get(0),
            new QuantizedTensor(
                new long[] {2, 2}, new byte[] {1, -2, 3, 1}, new float[] {0.01f}, new int[1], W8),
            new int[] {5, -100},
            1f / 255,
            QuantSpec.unsignedActivations(8));
    // Layer 1: W1 = [[4, -1], [7, 7]], s_w = 0.5, bias [0, 2]; input q = [1, 0]
    // acc = [4, -1 + 2] = [4, 1]; logits = acc·0.02·0.5 = [0.04, 0.01] → class 0
    QuantizedLayer l1 =
        new QuantizedLayer(
            shapes.get(1),
            new QuantizedTensor(
                new long[] {2, 2}, new byte[] {4, -1, 7, 7}, new float[] {0.5f}, new int[1], W8),
            new int[] {0, 2},
            0.02f,
            QuantSpec.unsignedActivations(8));
    IntegerEngine engine = new IntegerEngine(new QuantizedModel(spec, List.of(l0, l1)));
    Dataset data = new Dataset("hand", 2, 1, 2, new byte[] {10, (byte) 200}, new byte[] {0});
    float[] logits = engine.logits(data, 0);
    assertThat(logits[0]).isCloseTo(0.04f, within(1e-6f));
    assertThat(logits[1]).isCloseTo(0.01f, within(1e-6f));
    assertThat(engine.predict(data)).containsExactly(0);
  }
}
