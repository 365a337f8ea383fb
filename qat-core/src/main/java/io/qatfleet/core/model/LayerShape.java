package io.qatfleet.core.model;

import java.util.List;

/**
 * One weight layer (conv2d or dense) of a {@link ModelSpec}'s {@link LayerGraph}, with the shapes
 * the graph, the projection and the integer engine agree on. Conv kernels are HWIO with {@code I =
 * inChannels / groups} (a depthwise kernel is {@code [k, k, 1, C]}), applied with {@code padding}
 * zeros on every side; dense kernels are [in, out]. The layer's quantized input has its own step
 * size unless the layer {@linkplain #readsImage() reads the image}.
 *
 * @param height input height (conv layers; 1 for dense)
 * @param width input width (conv layers; 1 for dense)
 * @param hidden every weight layer but the last (which gives the logits)
 * @param batchNorm whether a batch norm follows (folded into this layer when quantized)
 * @param kernel kernel height and width (1 for dense)
 * @param groups 1, or inChannels for a depthwise conv
 * @param outHeight output height (1 for dense)
 * @param outWidth output width (1 for dense)
 * @param readsImage whether the input is the image's bytes (through flattening or max pooling)
 */
public record LayerShape(
    int index,
    boolean conv,
    int inChannels,
    int outChannels,
    int height,
    int width,
    boolean hidden,
    boolean batchNorm,
    int kernel,
    int stride,
    int padding,
    int groups,
    int outHeight,
    int outWidth,
    boolean readsImage) {

  /** The weight layers of {@code spec}, input to output. */
  public static List<LayerShape> of(ModelSpec spec) {
    return LayerGraph.of(spec).layers();
  }

  /** This layer marked hidden or not, and followed by batch norm or not. */
  LayerShape with(boolean isHidden, boolean followedByBatchNorm) {
    return new LayerShape(
        index,
        conv,
        inChannels,
        outChannels,
        height,
        width,
        isHidden,
        followedByBatchNorm,
        kernel,
        stride,
        padding,
        groups,
        outHeight,
        outWidth,
        readsImage);
  }

  /** Whether this is a depthwise convolution (one input channel per output channel). */
  public boolean depthwise() {
    return conv && groups > 1;
  }

  /** Input channels each output channel sums over. */
  public int channelsPerGroup() {
    return inChannels / groups;
  }

  public long[] kernelShape() {
    return conv
        ? new long[] {kernel, kernel, channelsPerGroup(), outChannels}
        : new long[] {inChannels, outChannels};
  }

  public int kernelSize() {
    return conv ? kernel * kernel * channelsPerGroup() * outChannels : inChannels * outChannels;
  }

  /** Inputs each output sums over (He initialisation's fan-in). */
  public int fanIn() {
    return conv ? kernel * kernel * channelsPerGroup() : inChannels;
  }

  /** Elements of this layer's input per sample: the N of LSQ's activation gradient scale. */
  public int inputFeatures() {
    return height * width * inChannels;
  }

  public String name(String variable) {
    return "layer" + index + "." + variable;
  }
}
