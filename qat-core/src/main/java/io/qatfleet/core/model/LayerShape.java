package io.qatfleet.core.model;

import java.util.ArrayList;
import java.util.List;

/**
 * One weight layer of a {@link ModelSpec}, with the shapes the graph, the projection and the
 * integer engine agree on. Conv layers are 3×3, stride 1, SAME padding, kernels HWIO; each hidden
 * conv is followed by ReLU and 2×2 max pooling; dense weights are [in, out]; hidden layers end in
 * ReLU, the last layer gives logits. Feature maps are NHWC and flatten in (h, w, c) order.
 *
 * @param height input height (conv layers; 1 for dense)
 * @param width input width (conv layers; 1 for dense)
 * @param batchNorm whether a batch norm follows (hidden layers of a batch-norm model only)
 */
public record LayerShape(
    int index,
    boolean conv,
    int inChannels,
    int outChannels,
    int height,
    int width,
    boolean hidden,
    boolean batchNorm) {

  public static final int KERNEL = 3;

  /** The layers of {@code spec}, input to output. */
  public static List<LayerShape> of(ModelSpec spec) {
    List<LayerShape> out = new ArrayList<>();
    int h = spec.inputHeight();
    int w = spec.inputWidth();
    int channels = spec.inputChannels();
    for (int c : spec.convChannels()) {
      out.add(new LayerShape(out.size(), true, channels, c, h, w, true, spec.batchNorm()));
      channels = c;
      h /= 2;
      w /= 2;
    }
    int features = h * w * channels;
    for (int units : spec.denseUnits()) {
      out.add(new LayerShape(out.size(), false, features, units, 1, 1, true, spec.batchNorm()));
      features = units;
    }
    out.add(new LayerShape(out.size(), false, features, spec.numClasses(), 1, 1, false, false));
    return List.copyOf(out);
  }

  public long[] kernelShape() {
    return conv
        ? new long[] {KERNEL, KERNEL, inChannels, outChannels}
        : new long[] {inChannels, outChannels};
  }

  public int kernelSize() {
    return conv ? KERNEL * KERNEL * inChannels * outChannels : inChannels * outChannels;
  }

  /** Elements of this layer's input per sample: the N of LSQ's activation gradient scale. */
  public int inputFeatures() {
    return height * width * inChannels;
  }

  /** Whether the input is a feature map that must be flattened first (first dense after conv). */
  public boolean flattensInput(List<LayerShape> all) {
    return !conv && index > 0 && all.get(index - 1).conv;
  }

  public String name(String variable) {
    return "layer" + index + "." + variable;
  }
}
