package io.qatfleet.core.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.model.ModelSpec;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/** Batches of three hand-made 2×2 images, fed in a given order. */
class BatchFeederTest {
  private static final ModelSpec MLP =
      new ModelSpec(Architecture.MLP, List.of(), List.of(2), false, 2, 2, 3);
  private static final ModelSpec CNN =
      new ModelSpec(Architecture.CNN, List.of(1), List.of(2), false, 2, 2, 3);
  private static final Dataset DATA =
      new Dataset(
          "hand",
          2,
          2,
          3,
          new byte[] {0, 51, 102, (byte) 255, (byte) 255, 0, 0, 0, 51, 51, 51, 51},
          new byte[] {2, 0, 1});

  @Test
  void feedsScaledPixelsAndOneHotLabelsInTheGivenOrder() {
    BatchFeeder feeder = new BatchFeeder(DATA, MLP, 2);
    int[] order = {2, 0, 1};
    try (BatchFeeder.Batch b = feeder.batch(order, 0, 2)) {
      assertThat(b.images().shape().asArray()).containsExactly(2, 4);
      assertThat(values(b.images()))
          .containsExactly(new float[] {0.2f, 0.2f, 0.2f, 0.2f, 0f, 0.2f, 0.4f, 1f}, within(1e-7f));
      assertThat(b.labels().shape().asArray()).containsExactly(2, 3);
      assertThat(values(b.labels())).containsExactly(0f, 1f, 0f, 0f, 0f, 1f);
    }
  }

  @Test
  void cutsTheLastBatchToTheSamplesLeft() {
    BatchFeeder feeder = new BatchFeeder(DATA, MLP, 2);
    int[] order = {2, 0, 1};
    feeder.batch(order, 0, 2).close();
    try (BatchFeeder.Batch last = feeder.batch(order, 2, 3)) {
      assertThat(last.images().shape().asArray()).containsExactly(1, 4);
      assertThat(values(last.images())).containsExactly(1f, 0f, 0f, 0f);
      assertThat(values(last.labels())).containsExactly(1f, 0f, 0f);
    }
  }

  @Test
  void shapesImagesAsNhwcForConvModels() {
    BatchFeeder feeder = new BatchFeeder(DATA, CNN, 3);
    try (TFloat32 images = feeder.images(BatchFeeder.inOrder(3), 0, 3)) {
      assertThat(images.shape().asArray()).containsExactly(3, 2, 2, 1);
      assertThat(images.getFloat(0, 1, 1, 0)).isEqualTo(1f);
    }
  }

  @Test
  void shufflesToTheSamePermutationForTheSameSeed() {
    int[] order = BatchFeeder.shuffled(50, 7);
    assertThat(BatchFeeder.shuffled(50, 7)).isEqualTo(order);
    assertThat(order).isNotEqualTo(BatchFeeder.inOrder(50));
    assertThat(order).isNotEqualTo(BatchFeeder.shuffled(50, 8));
    int[] sorted = order.clone();
    Arrays.sort(sorted);
    assertThat(sorted).isEqualTo(BatchFeeder.inOrder(50));
  }

  private static float[] values(TFloat32 t) {
    float[] out = new float[(int) t.size()];
    t.copyTo(DataBuffers.of(out, false, false));
    return out;
  }
}
