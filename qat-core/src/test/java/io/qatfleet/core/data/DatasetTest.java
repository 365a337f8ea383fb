package io.qatfleet.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DatasetTest {

  /** Three 1x2 images: [0, 255], [51, 102], [204, 153] (as unsigned bytes), labels 2, 0, 1. */
  private static Dataset threeImages() {
    return new Dataset(
        "tiny",
        1,
        2,
        3,
        new byte[] {0, (byte) 255, 51, 102, (byte) 204, (byte) 153},
        new byte[] {2, 0, 1});
  }

  @Test
  void fillsBatchWithScaledPixels() {
    float[] pixels = new float[4];

    threeImages().fillBatch(new int[] {2, 1, 0}, 0, 2, pixels, new float[6]);

    // 204/255 = 0.8, 153/255 = 0.6, 51/255 = 0.2, 102/255 = 0.4
    assertThat(pixels).containsExactly(0.8f, 0.6f, 0.2f, 0.4f);
  }

  @Test
  void fillsBatchWithOneHotLabels() {
    float[] oneHot = new float[6];
    Arrays.fill(oneHot, 7f);

    threeImages().fillBatch(new int[] {2, 1, 0}, 1, 3, new float[4], oneHot);

    // indices[1] = image 1 (label 0), indices[2] = image 0 (label 2)
    assertThat(oneHot).containsExactly(1f, 0f, 0f, 0f, 0f, 1f);
  }

  @Test
  void leavesBufferTailOfShortBatchUntouched() {
    float[] pixels = {9f, 9f, 9f, 9f};
    float[] oneHot = {9f, 9f, 9f, 9f, 9f, 9f};

    threeImages().fillBatch(new int[] {0}, 0, 1, pixels, oneHot);

    assertThat(pixels).containsExactly(0f, 1f, 9f, 9f);
    assertThat(oneHot).containsExactly(0f, 0f, 1f, 9f, 9f, 9f);
  }

  @Test
  void rejectsBatchBufferTooSmall() {
    assertThatThrownBy(
            () -> threeImages().fillBatch(new int[] {0, 1}, 0, 2, new float[3], new float[6]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pixelOut holds 3 floats but 2 images of 2 pixels need 4");
  }

  @Test
  void rejectsBatchIndexOutsideDataset() {
    assertThatThrownBy(
            () -> threeImages().fillBatch(new int[] {0, 3}, 0, 2, new float[4], new float[6]))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessageContaining("indices[1] = 3 is outside 0..2");
  }

  @Test
  void subsetsImagesInGivenOrder() {
    Dataset subset = threeImages().subset(new int[] {2, 0});

    assertThat(subset.size()).isEqualTo(2);
    assertThat(subset.pixels()).containsExactly(204, 153, 0, 255);
    assertThat(subset.labelsAsInts()).containsExactly(1, 2);
  }

  @Test
  void readsLabelsAsUnsignedBytes() {
    Dataset d = new Dataset("wide", 1, 1, 256, new byte[2], new byte[] {(byte) 200, 5});

    assertThat(d.label(0)).isEqualTo(200);
    assertThat(d.labelsAsInts()).containsExactly(200, 5);
  }

  @Test
  void rejectsPixelCountNotMatchingLabels() {
    assertThatThrownBy(() -> new Dataset("bad", 2, 2, 10, new byte[7], new byte[2]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pixels has 7 bytes but 2 labels of 2x2 images need 8");
  }

  @Test
  void rejectsLabelOutsideClasses() {
    assertThatThrownBy(() -> new Dataset("bad", 1, 1, 10, new byte[2], new byte[] {3, 10}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("labels[1] = 10 is outside 0..9");
  }

  @Test
  void comparesByContent() {
    assertThat(threeImages()).isEqualTo(threeImages()).hasSameHashCodeAs(threeImages());
    assertThat(threeImages()).isNotEqualTo(threeImages().subset(new int[] {0, 1, 1}));
  }
}
