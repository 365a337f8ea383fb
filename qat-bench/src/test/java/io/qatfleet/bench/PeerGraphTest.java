package io.qatfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.core.json.Json;
import io.qatfleet.core.model.Architecture;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The graph the PyTorch peer builds, checked against the presets as their documentation describes
 * them (not against the graph code's own output): positions, the residual joins, strides, padding
 * and groups.
 */
class PeerGraphTest {
  @TempDir Path dir;

  private static JsonNode graph(Architecture a) {
    return PeerGraph.json(ModelNames.name(a), QualityGrid.modelSpec(a));
  }

  private static List<String> kinds(JsonNode g) {
    List<String> out = new ArrayList<>();
    g.get("nodes").forEach(n -> out.add(n.get("kind").asText()));
    return out;
  }

  private static JsonNode named(JsonNode g, String name) {
    for (JsonNode n : g.get("nodes")) {
      if (n.get("name").asText().equals(name)) {
        return n;
      }
    }
    throw new AssertionError("no node " + name);
  }

  @Test
  void cnnIsConvReluPoolTwiceThenDenseLayers() {
    JsonNode g = graph(Architecture.CNN);
    assertThat(kinds(g))
        .containsExactly(
            "conv2d", "relu", "maxPool", "conv2d", "relu", "maxPool", "flatten", "dense", "relu",
            "dense");
    JsonNode fc1 = g.get("nodes").get(7);
    // 28 -> 14 -> 7 after two 2x2 pools, 64 channels: 7 * 7 * 64 inputs.
    assertThat(fc1.get("inChannels").asInt()).isEqualTo(3136);
    assertThat(fc1.get("outChannels").asInt()).isEqualTo(128);
    assertThat(g.get("weightLayers").asInt()).isEqualTo(4);
    assertThat(g.get("image").get("flat").asBoolean()).isFalse();
  }

  @Test
  void mlpTakesTheImageAsOneVector() {
    JsonNode g = graph(Architecture.MLP);
    assertThat(g.get("image").get("flat").asBoolean()).isTrue();
    assertThat(g.get("image").get("channels").asInt()).isEqualTo(784);
    assertThat(g.get("nodes").get(0).get("kind").asText()).isEqualTo("flatten");
  }

  @Test
  void resnet8JoinsEachBlockWithItsShortcut() {
    JsonNode g = graph(Architecture.RESNET8);
    // stem + 2 convs in each of 3 blocks + 2 projections + the logits
    assertThat(g.get("weightLayers").asInt()).isEqualTo(10);
    JsonNode stemOut = named(g, "stem_out");
    JsonNode b1 = named(g, "b1_add");
    // Block 1: identity shortcut, the stem's output added to the block's main path.
    assertThat(b1.get("other").asInt()).isEqualTo(stemOut.get("position").asInt());
    assertThat(b1.get("input").asInt()).isEqualTo(named(g, "b1_main").get("position").asInt());
    // Block 2: a 1x1 stride-2 projection of block 1's output, no padding, 16 -> 32 channels.
    JsonNode proj = named(g, "b2_proj");
    assertThat(proj.get("input").asInt()).isEqualTo(named(g, "b1_out").get("position").asInt());
    assertThat(proj.get("kernel").asInt()).isEqualTo(1);
    assertThat(proj.get("stride").asInt()).isEqualTo(2);
    assertThat(proj.get("padding").asInt()).isEqualTo(0);
    assertThat(proj.get("inChannels").asInt()).isEqualTo(16);
    assertThat(proj.get("outChannels").asInt()).isEqualTo(32);
    assertThat(proj.get("batchNorm").asBoolean()).isTrue();
    assertThat(named(g, "b2_add").get("other").asInt())
        .isEqualTo(named(g, "b2_shortcut").get("position").asInt());
    // 28 -> 14 -> 7 through the two stride-2 blocks.
    assertThat(named(g, "b3_out").get("outShape").get("height").asInt()).isEqualTo(7);
    JsonNode logits = g.get("nodes").get(g.get("nodes").size() - 1);
    assertThat(logits.get("kind").asText()).isEqualTo("dense");
    assertThat(logits.get("inChannels").asInt()).isEqualTo(64);
    assertThat(logits.get("outChannels").asInt()).isEqualTo(10);
  }

  @Test
  void mobilenetTinyHasDepthwiseConvsWithOneGroupPerChannel() {
    JsonNode g = graph(Architecture.MOBILENET_TINY);
    JsonNode dw1 = named(g, "dw1");
    assertThat(dw1.get("groups").asInt()).isEqualTo(16);
    assertThat(dw1.get("inChannels").asInt()).isEqualTo(16);
    assertThat(dw1.get("outChannels").asInt()).isEqualTo(16);
    assertThat(dw1.get("kernel").asInt()).isEqualTo(3);
    assertThat(dw1.get("stride").asInt()).isEqualTo(2);
    assertThat(dw1.get("padding").asInt()).isEqualTo(1);
    JsonNode pw3 = named(g, "pw3");
    assertThat(pw3.get("groups").asInt()).isEqualTo(1);
    assertThat(pw3.get("kernel").asInt()).isEqualTo(1);
    assertThat(pw3.get("outChannels").asInt()).isEqualTo(128);
    assertThat(kinds(g)).contains("relu6", "globalAvgPool").doesNotContain("add", "relu");
  }

  @Test
  void writesTheGraphAsJsonNamedAfterTheModel() throws Exception {
    Path file = PeerGraph.write("lenet5", QualityGrid.modelSpec(Architecture.LENET5), dir);

    assertThat(file.getFileName().toString()).isEqualTo("lenet5.graph.json");
    JsonNode g = Json.MAPPER.readTree(file.toFile());
    assertThat(g.get("version").asInt()).isEqualTo(PeerGraph.VERSION);
    assertThat(g.get("model").asText()).isEqualTo("lenet5");
    assertThat(kinds(g)).containsSubsequence("conv2d", "relu", "avgPool", "conv2d");
  }
}
