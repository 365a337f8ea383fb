package io.qatfleet.core.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSON-able description of a classifier for H×W images of {@code inputChannels} channels (1
 * grayscale, 3 RGB; absent in JSON means 1). For {@link Architecture#CNN}: one conv-ReLU-maxpool
 * block per entry of {@code convChannels}, then one dense ReLU layer per entry of {@code
 * denseUnits}, then the output layer. For {@link Architecture#MLP}: {@code convChannels} must be
 * empty. Missing JSON fields take the defaults below.
 *
 * @param batchNorm batch normalisation after each hidden layer (conv and dense), folded into the
 *     preceding layer's weights for quantized training and export
 */
public record ModelSpec(
    Architecture architecture,
    List<Integer> convChannels,
    List<Integer> denseUnits,
    Boolean batchNorm,
    Integer inputHeight,
    Integer inputWidth,
    Integer numClasses,
    @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = SingleChannel.class)
        Integer inputChannels) {

  public static final int DEFAULT_IMAGE_SIZE = 28;
  public static final int DEFAULT_CLASSES = 10;

  /** Most conv layers a spec may have: each one's 2x2 pool halves an input of at most 2^30. */
  public static final int MAX_POOLED_LAYERS = 30;

  public ModelSpec {
    if (architecture == null) {
      architecture = Architecture.CNN;
    }
    if (convChannels == null) {
      convChannels = architecture == Architecture.CNN ? List.of(32, 64) : List.of();
    }
    if (denseUnits == null) {
      denseUnits = architecture == Architecture.CNN ? List.of(128) : List.of(256, 128);
    }
    convChannels = List.copyOf(convChannels);
    denseUnits = List.copyOf(denseUnits);
    batchNorm = batchNorm != null && batchNorm;
    inputHeight = inputHeight == null ? DEFAULT_IMAGE_SIZE : inputHeight;
    inputWidth = inputWidth == null ? DEFAULT_IMAGE_SIZE : inputWidth;
    numClasses = numClasses == null ? DEFAULT_CLASSES : numClasses;
    inputChannels = inputChannels == null ? 1 : inputChannels;
  }

  /**
   * Leaves {@code inputChannels} out of the JSON when 1, so older specs and checkpoints read alike.
   */
  static final class SingleChannel {
    @Override
    public boolean equals(Object value) {
      return Integer.valueOf(1).equals(value);
    }

    @Override
    public int hashCode() {
      return 1;
    }
  }

  /** A single-channel model. */
  public ModelSpec(
      Architecture architecture,
      List<Integer> convChannels,
      List<Integer> denseUnits,
      Boolean batchNorm,
      Integer inputHeight,
      Integer inputWidth,
      Integer numClasses) {
    this(architecture, convChannels, denseUnits, batchNorm, inputHeight, inputWidth, numClasses, 1);
  }

  /** This spec for inputs of {@code channels} channels. */
  public ModelSpec withInputChannels(int channels) {
    return new ModelSpec(
        architecture,
        convChannels,
        denseUnits,
        batchNorm,
        inputHeight,
        inputWidth,
        numClasses,
        channels);
  }

  /** The default small CNN: conv32-conv64-dense128-dense10 on 28×28 inputs. */
  public static ModelSpec smallCnn() {
    return new ModelSpec(Architecture.CNN, null, null, false, null, null, null);
  }

  /** The default MLP: 784-256-128-10. */
  public static ModelSpec mlp() {
    return new ModelSpec(Architecture.MLP, null, null, false, null, null, null);
  }

  /** Number of weight layers (conv + hidden dense + output), i.e. of quantized layers. */
  public int layerCount() {
    return convChannels.size() + denseUnits.size() + 1;
  }

  /** Every problem with this spec, each naming the field and the bad value; empty when valid. */
  public List<String> violations() {
    List<String> out = new ArrayList<>();
    if (architecture == Architecture.MLP && !convChannels.isEmpty()) {
      out.add("model.convChannels: must be empty for an MLP, got " + convChannels);
    }
    for (int i = 0; i < convChannels.size(); i++) {
      if (convChannels.get(i) == null || convChannels.get(i) < 1 || convChannels.get(i) > 1024) {
        out.add("model.convChannels[" + i + "]: must be in 1..1024, got " + convChannels.get(i));
      }
    }
    for (int i = 0; i < denseUnits.size(); i++) {
      if (denseUnits.get(i) == null || denseUnits.get(i) < 1 || denseUnits.get(i) > 65536) {
        out.add("model.denseUnits[" + i + "]: must be in 1..65536, got " + denseUnits.get(i));
      }
    }
    if (convChannels.size() > MAX_POOLED_LAYERS) {
      // Each conv layer halves the input; beyond this, 1 << n no longer fits an int.
      out.add(
          "model.convChannels: at most "
              + MAX_POOLED_LAYERS
              + " conv layers (each halves the input with a 2x2 pool), got "
              + convChannels.size());
    } else {
      int pooled = 1 << convChannels.size();
      if (inputHeight < pooled || inputHeight % pooled != 0) {
        out.add(
            "model.inputHeight: must be a positive multiple of "
                + pooled
                + " (one 2x2 pool per conv layer), got "
                + inputHeight);
      }
      if (inputWidth < pooled || inputWidth % pooled != 0) {
        out.add(
            "model.inputWidth: must be a positive multiple of "
                + pooled
                + " (one 2x2 pool per conv layer), got "
                + inputWidth);
      }
    }
    if (inputChannels < 1 || inputChannels > 4) {
      out.add("model.inputChannels: must be in 1..4 (1 grayscale, 3 RGB), got " + inputChannels);
    }
    if (numClasses < 2) {
      out.add("model.numClasses: must be at least 2, got " + numClasses);
    }
    return out;
  }
}
