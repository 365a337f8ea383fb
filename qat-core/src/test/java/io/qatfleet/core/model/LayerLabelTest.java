package io.qatfleet.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** How reports name weight layers: kind and index, plus the graph's own name where it has one. */
class LayerLabelTest {
  @Test
  void presetsWithoutNamesKeepTheKindAndIndex() {
    assertThat(labels(ModelSpec.smallCnn())).containsExactly("conv0", "conv1", "dense2", "output3");
    assertThat(labels(ModelSpec.mlp())).containsExactly("dense0", "dense1", "output2");
  }

  @Test
  void namedGraphLayersCarryTheirNames() {
    ModelSpec resnet = ModelSpec.preset(Architecture.RESNET8, 28, 28, 1, 10);

    assertThat(labels(resnet))
        .containsExactly(
            "conv0 stem",
            "conv1 b1_conv1",
            "conv2 b1_conv2",
            "conv3 b2_conv1",
            "conv4 b2_conv2",
            "conv5 b2_proj",
            "conv6 b3_conv1",
            "conv7 b3_conv2",
            "conv8 b3_proj",
            "output9");
  }

  private static List<String> labels(ModelSpec spec) {
    LayerGraph g = spec.graph();
    return IntStream.range(0, g.layers().size()).mapToObj(g::label).toList();
  }
}
