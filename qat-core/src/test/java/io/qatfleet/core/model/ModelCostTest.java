package io.qatfleet.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelCostTest {

  @Test
  void countsParametersOfDemoCnn() {
    // conv 3x3x1x32 + 32 = 320; conv 3x3x32x64 + 64 = 18,496; dense 7*7*64 x 128 + 128 = 401,536;
    // output 128 x 10 + 10 = 1,290. The README's 1647.0 KiB of float32 is 421,642 * 4 bytes.
    assertThat(ModelCost.of(ModelSpec.smallCnn()).parameters()).isEqualTo(421_642L);
  }

  @Test
  void countsInputChannelsInTheFirstConv() {
    ModelSpec rgb = new ModelSpec(Architecture.CNN, List.of(4), List.of(), false, 4, 4, 2, 3, null);
    // conv 3x3x3x4 + 4 = 112; pooled 2x2x4 = 16 features, dense 16 x 2 + 2 = 34.
    assertThat(ModelCost.of(rgb).parameters()).isEqualTo(146L);
    // 2*108*4*4 = 3,456 for the conv; 2*16*2 = 64 for the dense layer.
    assertThat(ModelCost.of(rgb).flopsPerSample()).isEqualTo(3_520L);
    assertThat(LayerShape.of(rgb).get(0).kernelShape()).containsExactly(3, 3, 3, 4);
  }

  @Test
  void countsFlopsOfDemoCnn() {
    // 2*9*1*32*28*28 = 451,584; 2*9*32*64*14*14 = 7,225,344; 2*3136*128 = 802,816; 2*128*10 =
    // 2,560.
    assertThat(ModelCost.of(ModelSpec.smallCnn()).flopsPerSample()).isEqualTo(8_482_304L);
  }

  @Test
  void countsParametersOfHugeMlpWithoutOverflow() {
    ModelSpec mlp =
        new ModelSpec(Architecture.MLP, List.of(), List.of(40_000, 40_000), false, 28, 28, 10);

    // 784*40,000 + 40,000 + 40,000^2 + 40,000 + 40,000*10 + 10
    assertThat(ModelCost.of(mlp).parameters()).isEqualTo(1_631_840_010L);
  }

  @Test
  void countsBatchNormValuesPerHiddenUnit() {
    ModelSpec plain = new ModelSpec(Architecture.MLP, List.of(), List.of(8), false, 2, 2, 2);
    ModelSpec normed = new ModelSpec(Architecture.MLP, List.of(), List.of(8), true, 2, 2, 2);

    // gamma, beta, moving mean, moving variance for each of the 8 hidden units
    assertThat(ModelCost.of(normed).parameters() - ModelCost.of(plain).parameters()).isEqualTo(32);
  }

  @Test
  void refusesHugeImagesBeforeCostingAndCostsTheLargestValidLayerExactly() {
    ModelSpec huge =
        new ModelSpec(Architecture.MLP, List.of(), List.of(65_536), false, 1 << 30, 1 << 30, 10);
    assertThat(huge.violations())
        .contains(
            "model.inputHeight: must be in 1..1024, got 1073741824",
            "model.inputWidth: must be in 1..1024, got 1073741824");

    // 1024 x 1024 x 4 = 2^22 inputs (the activation cap) x 2^16 units: 2^38 weights, past an int.
    ModelSpec widest =
        new ModelSpec(Architecture.MLP, List.of(), List.of(65_536), false, 1024, 1024, 10, 4, null);
    assertThat(widest.violations()).isEmpty();
    long hidden = (1L << 38) + (1L << 16);
    long output = (1L << 16) * 10 + 10;
    assertThat(ModelCost.of(widest).parameters()).isEqualTo(hidden + output);
    assertThat(ModelCost.of(widest).flopsPerSample()).isEqualTo(2 * ((1L << 38) + (1L << 16) * 10));
  }

  @Test
  void budgetsADepthwiseConvAsTheBlockDiagonalConvTheTrainerRuns() {
    // 1x1 conv to 64 channels on 8x8, depthwise 3x3 over the 64, pooled, logits.
    ModelSpec spec =
        ModelSpec.graph(
            List.of(
                LayerSpec.conv("pw", 64, 1, 1, 0),
                LayerSpec.depthwise("dw", 64, 1),
                LayerSpec.of("globalAvgPool"),
                LayerSpec.dense(10)),
            8,
            8,
            1,
            10);
    assertThat(spec.violations()).isEmpty();

    long pointwise = 2L * 64 * 64; // 64 weights, 64 positions
    long depthwise = 2L * (9 * 64) * 64 * 64; // 9·64 weights, 64 times that computed, 64 positions
    long dense = 2L * 64 * 10;
    assertThat(ModelCost.of(spec).flopsPerSample()).isEqualTo(pointwise + depthwise + dense);
    assertThat(ModelCost.of(spec).parameters()).isEqualTo(64 + 64 + 9 * 64 + 64 + 640 + 10);
  }
}
