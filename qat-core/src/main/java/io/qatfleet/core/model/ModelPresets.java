package io.qatfleet.core.model;

import static io.qatfleet.core.model.LayerSpec.add;
import static io.qatfleet.core.model.LayerSpec.conv;
import static io.qatfleet.core.model.LayerSpec.dense;
import static io.qatfleet.core.model.LayerSpec.depthwise;
import static io.qatfleet.core.model.LayerSpec.named;
import static io.qatfleet.core.model.LayerSpec.of;
import static io.qatfleet.core.model.LayerSpec.pool;

import java.util.ArrayList;
import java.util.List;

/** The layer graphs the preset architectures expand to. */
final class ModelPresets {
  private ModelPresets() {}

  static List<LayerSpec> layers(ModelSpec spec) {
    return switch (spec.architecture()) {
      case CNN -> cnn(spec);
      case MLP -> mlp(spec);
      case LENET5 -> lenet5();
      case RESNET8 -> resnet8();
      case MOBILENET_TINY -> mobilenetTiny();
      case GRAPH -> spec.layers() == null ? List.of() : spec.layers();
    };
  }

  /** Per conv: conv 3×3 (same), [batchNorm], relu, maxPool 2; flatten; dense blocks; logits. */
  private static List<LayerSpec> cnn(ModelSpec spec) {
    List<LayerSpec> out = new ArrayList<>();
    for (int c : spec.convChannels()) {
      out.add(conv(null, c, 3, 1, 1));
      if (spec.batchNorm()) {
        out.add(of("batchNorm"));
      }
      out.add(of("relu"));
      out.add(pool("maxPool", 2, 2));
    }
    out.add(of("flatten"));
    denseBlocks(spec, out);
    return out;
  }

  private static List<LayerSpec> mlp(ModelSpec spec) {
    List<LayerSpec> out = new ArrayList<>();
    out.add(of("flatten"));
    denseBlocks(spec, out);
    return out;
  }

  private static void denseBlocks(ModelSpec spec, List<LayerSpec> out) {
    for (int units : spec.denseUnits()) {
      out.add(dense(units));
      if (spec.batchNorm()) {
        out.add(of("batchNorm"));
      }
      out.add(of("relu"));
    }
    out.add(dense(spec.numClasses()));
  }

  private static List<LayerSpec> lenet5() {
    return List.of(
        conv(null, 6, 5, 1, 2),
        of("relu"),
        pool("avgPool", 2, 2),
        conv(null, 16, 5, 1, 0),
        of("relu"),
        pool("avgPool", 2, 2),
        of("flatten"),
        dense(120),
        of("relu"),
        dense(84),
        of("relu"),
        LayerSpec.of("dense"));
  }

  /**
   * Stem conv 16, then basic blocks of 16 (identity shortcut), 32 and 64 channels (stride 2, 1×1
   * projection shortcut with batch norm), global average pooling, logits.
   */
  private static List<LayerSpec> resnet8() {
    List<LayerSpec> out = new ArrayList<>();
    out.add(conv("stem", 16, 3, 1, 1));
    out.add(of("batchNorm"));
    out.add(named("relu", "stem_out"));
    basicBlock(out, "b1", "stem_out", 16, 1, false);
    basicBlock(out, "b2", "b1_out", 32, 2, true);
    basicBlock(out, "b3", "b2_out", 64, 2, true);
    out.add(of("globalAvgPool"));
    out.add(LayerSpec.of("dense"));
    return out;
  }

  private static void basicBlock(
      List<LayerSpec> out, String p, String in, int channels, int stride, boolean project) {
    out.add(conv(p + "_conv1", channels, 3, stride, 1).from(in));
    out.add(of("batchNorm"));
    out.add(of("relu"));
    out.add(conv(p + "_conv2", channels, 3, 1, 1));
    out.add(named("batchNorm", p + "_main"));
    String shortcut = in;
    if (project) {
      out.add(conv(p + "_proj", channels, 1, stride, 0).from(in));
      out.add(named("batchNorm", p + "_shortcut"));
      shortcut = p + "_shortcut";
    }
    out.add(add(p + "_add", shortcut).from(p + "_main"));
    out.add(named("relu", p + "_out"));
  }

  /**
   * Stem conv 16, then depthwise-separable blocks (3×3 depthwise, batch norm, ReLU6, 1×1 pointwise,
   * batch norm, ReLU6) to 32 (stride 2), 64 (stride 2) and 128 channels, global average pooling,
   * logits.
   */
  private static List<LayerSpec> mobilenetTiny() {
    List<LayerSpec> out = new ArrayList<>();
    out.add(conv("stem", 16, 3, 1, 1));
    out.add(of("batchNorm"));
    out.add(of("relu6"));
    int channels = 16;
    int[][] blocks = {{32, 2}, {64, 2}, {128, 1}};
    for (int b = 0; b < blocks.length; b++) {
      out.add(depthwise("dw" + (b + 1), channels, blocks[b][1]));
      out.add(of("batchNorm"));
      out.add(of("relu6"));
      out.add(conv("pw" + (b + 1), blocks[b][0], 1, 1, 0));
      out.add(of("batchNorm"));
      out.add(of("relu6"));
      channels = blocks[b][0];
    }
    out.add(of("globalAvgPool"));
    out.add(LayerSpec.of("dense"));
    return out;
  }
}
