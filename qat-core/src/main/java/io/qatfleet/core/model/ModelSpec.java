package io.qatfleet.core.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A JSON-able description of a classifier for H×W images of {@code inputChannels} channels (1
 * grayscale, 3 RGB; absent in JSON means 1): a preset architecture or the spec's own layer graph.
 * For {@link Architecture#CNN}: one conv-ReLU-maxpool block per entry of {@code convChannels}, then
 * one dense ReLU layer per entry of {@code denseUnits}, then the output layer. For {@link
 * Architecture#MLP}: {@code convChannels} must be empty. {@code lenet5}, {@code resnet8} and {@code
 * mobilenet-tiny} are fixed graphs ({@code convChannels}, {@code denseUnits} and {@code batchNorm}
 * do not apply); {@code layers} (architecture {@code graph}, implied when absent) is the user's own
 * graph, checked by {@link LayerGraph}. Missing JSON fields take the defaults below.
 *
 * @param batchNorm cnn and mlp: batch normalisation after each hidden layer (conv and dense),
 *     folded into the preceding layer's weights for quantized training and export
 * @param layers the layer graph of architecture {@code graph}; null otherwise
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
        Integer inputChannels,
    @JsonInclude(JsonInclude.Include.NON_NULL) List<LayerSpec> layers) {

  public static final int DEFAULT_IMAGE_SIZE = 28;
  public static final int DEFAULT_CLASSES = 10;

  /** Most conv layers a spec may have: each one's 2x2 pool halves an input of at most 2^30. */
  public static final int MAX_POOLED_LAYERS = 30;

  /** Largest input height or width. */
  public static final int MAX_IMAGE_SIZE = 1024;

  public ModelSpec {
    if (architecture == null) {
      architecture = layers != null ? Architecture.GRAPH : Architecture.CNN;
    }
    if (convChannels == null) {
      convChannels = architecture == Architecture.CNN ? List.of(32, 64) : List.of();
    }
    if (denseUnits == null) {
      denseUnits =
          architecture == Architecture.CNN
              ? List.of(128)
              : architecture == Architecture.MLP ? List.of(256, 128) : List.of();
    }
    // Copies that keep nulls, so that violations() can name them instead of a crash here.
    convChannels = Collections.unmodifiableList(new ArrayList<>(convChannels));
    denseUnits = Collections.unmodifiableList(new ArrayList<>(denseUnits));
    if (layers != null) {
      layers = Collections.unmodifiableList(new ArrayList<>(layers));
    }
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
    this(
        architecture,
        convChannels,
        denseUnits,
        batchNorm,
        inputHeight,
        inputWidth,
        numClasses,
        1,
        null);
  }

  /** A model of the layer graph {@code layers} for H×W images of {@code channels} channels. */
  public static ModelSpec graph(
      List<LayerSpec> layers, int inputHeight, int inputWidth, int channels, int numClasses) {
    return new ModelSpec(
        Architecture.GRAPH,
        null,
        null,
        false,
        inputHeight,
        inputWidth,
        numClasses,
        channels,
        layers);
  }

  /** A preset architecture for H×W images of {@code channels} channels. */
  public static ModelSpec preset(
      Architecture architecture, int inputHeight, int inputWidth, int channels, int numClasses) {
    return new ModelSpec(
        architecture, null, null, false, inputHeight, inputWidth, numClasses, channels, null);
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
        channels,
        layers);
  }

  /** The default small CNN: conv32-conv64-dense128-dense10 on 28×28 inputs. */
  public static ModelSpec smallCnn() {
    return new ModelSpec(Architecture.CNN, null, null, false, null, null, null);
  }

  /** The default MLP: 784-256-128-10. */
  public static ModelSpec mlp() {
    return new ModelSpec(Architecture.MLP, null, null, false, null, null, null);
  }

  /**
   * The layers this spec stands for: the preset's graph, or {@code layers}. Check {@link
   * #violations()} before building them.
   */
  public List<LayerSpec> layerSpecs() {
    return ModelPresets.layers(this);
  }

  /** The checked layer graph; the spec must be valid. */
  public LayerGraph graph() {
    return LayerGraph.of(this);
  }

  /**
   * Number of weight layers (conv2d and dense, output included), i.e. of quantized layers; counted
   * from the layer specs, so also for a spec with violations.
   */
  public int layerCount() {
    int n = 0;
    for (LayerSpec l : layerSpecs()) {
      n += l != null && l.kind() != null && l.kind().weighted() ? 1 : 0;
    }
    return n;
  }

  /** Every problem with this spec, each naming the field and the bad value; empty when valid. */
  public List<String> violations() {
    List<String> out = new ArrayList<>();
    boolean preset = architecture == Architecture.CNN || architecture == Architecture.MLP;
    String arch = architecture.label(); // as JSON writes it: mobilenet-tiny, not mobilenet_tiny
    if (architecture == Architecture.MLP && !convChannels.isEmpty()) {
      out.add("model.convChannels: must be empty for an MLP, got " + brief(convChannels));
    }
    if (!preset) {
      if (!convChannels.isEmpty() || !denseUnits.isEmpty() || batchNorm) {
        out.add(
            "model: convChannels, denseUnits and batchNorm apply to cnn and mlp only, not to "
                + arch
                + " (its layers are fixed or given as model.layers)");
      }
    }
    if (architecture == Architecture.GRAPH && layers == null) {
      out.add("model.layers: required for architecture graph");
    }
    if (architecture != Architecture.GRAPH && layers != null) {
      out.add("model.layers: only for architecture graph (or none), got " + arch);
    }
    // Lists longer than any model are refused whole, before a message per entry (or a layer per
    // entry, layerCount) is made of each of their up to millions of entries.
    if (convChannels.size() > LayerGraph.MAX_LAYERS || denseUnits.size() > LayerGraph.MAX_LAYERS) {
      out.add(
          "model: convChannels and denseUnits hold at most "
              + LayerGraph.MAX_LAYERS
              + " entries each, got "
              + convChannels.size()
              + " and "
              + denseUnits.size());
      return out;
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
    if (inputHeight < 1 || inputHeight > MAX_IMAGE_SIZE) {
      out.add("model.inputHeight: must be in 1.." + MAX_IMAGE_SIZE + ", got " + inputHeight);
    }
    if (inputWidth < 1 || inputWidth > MAX_IMAGE_SIZE) {
      out.add("model.inputWidth: must be in 1.." + MAX_IMAGE_SIZE + ", got " + inputWidth);
    }
    if (architecture == Architecture.CNN) {
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
    }
    if (inputChannels < 1 || inputChannels > 4) {
      out.add("model.inputChannels: must be in 1..4 (1 grayscale, 3 RGB), got " + inputChannels);
    }
    if (numClasses < 2 || numClasses > LayerGraph.MAX_UNITS) {
      out.add("model.numClasses: must be in 2.." + LayerGraph.MAX_UNITS + ", got " + numClasses);
    }
    if (out.isEmpty()) {
      out.addAll(LayerGraph.violations(this));
    }
    return out;
  }

  /** A list as a message shows it: whole when short, else its length. */
  private static String brief(List<Integer> values) {
    return values.size() <= 16 ? values.toString() : "a list of " + values.size() + " entries";
  }
}
