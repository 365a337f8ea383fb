package io.qatfleet.core.quant;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ProjectionTest {
  @Test
  void projectsOntoGridWithinHalfStepInsideRange() {
    QuantSpec spec = QuantSpec.weights(4, Granularity.PER_TENSOR);
    float s = 0.05f;
    SplittableRandom random = new SplittableRandom(7);
    float[] w = new float[1000];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (random.nextDouble() * 0.9 - 0.45); // range ±0.45 inside ±7·0.05 = ±0.35?
    }
    QuantizedTensor q = Projection.project(w, new long[] {1000}, new float[] {s}, spec);
    float[] back = q.dequantize();
    for (int i = 0; i < w.length; i++) {
      assertThat(q.levels()[i]).isBetween((byte) -7, (byte) 7);
      // on the grid: back/s is an integer
      assertThat(Math.abs(back[i] / s - Math.rint(back[i] / s))).isLessThan(1e-4f);
      if (Math.abs(w[i]) <= 7 * s) {
        assertThat(Math.abs(back[i] - w[i])).isLessThanOrEqualTo(s / 2 + 1e-7f);
      } else {
        assertThat(Math.abs(back[i])).isEqualTo(7 * s);
      }
    }
  }

  @Test
  void usesOneScalePerOutputChannel() {
    QuantSpec spec = QuantSpec.weights(8, Granularity.PER_CHANNEL);
    // [2, 2] with channels last: channel 0 has step 0.1, channel 1 step 1.0.
    float[] w = {0.25f, 0.25f, -0.76f, 3.4f};
    QuantizedTensor q = Projection.project(w, new long[] {2, 2}, new float[] {0.1f, 1f}, spec);
    // 0.25/0.1 = 2.5 → rint (half even) 2; 0.25/1 → 0; -0.76/0.1 → -8; 3.4 → 3
    assertThat(q.levels()).containsExactly(2, 0, -8, 3);
  }

  @Test
  void appliesZeroPointForAsymmetricSpecs() {
    QuantSpec spec = new QuantSpec(4, true, false, false, Granularity.PER_TENSOR); // [-8, 7]
    QuantizedTensor q =
        Projection.project(
            new float[] {0f, 1f, -1f}, new long[] {3}, new float[] {0.5f}, new int[] {-3}, spec);
    // round(x/s) + z: 0 → -3, 2 → -1, -2 → -5; dequantized s·(q - z) gives back x
    assertThat(q.levels()).containsExactly(-3, -1, -5);
    assertThat(q.dequantize()).containsExactly(0f, 1f, -1f);
  }
}
