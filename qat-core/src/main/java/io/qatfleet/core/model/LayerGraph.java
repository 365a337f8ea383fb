package io.qatfleet.core.model;

import io.qatfleet.core.model.LayerSpec.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A model's layers as a checked graph: every layer of {@link ModelSpec#layerSpecs()} with its
 * inputs resolved to positions and its output shape inferred, and the weight layers (conv2d and
 * dense, in order) as {@link LayerShape}s, the unit that is quantized, checkpointed ({@code
 * layer<i>.kernel}) and reported. The training graph, the integer engine and the ONNX export all
 * walk {@link #nodes()} in order; a node reads only earlier nodes, so that order is topological.
 *
 * <p>Where values are quantized: at the input of every weight layer (its own step size, on an
 * unsigned grid, so negative inputs clip to 0), except a weight layer reading the image, whose
 * pixels are already bytes. Everything between weight layers (batch norm folded into the layer
 * before it, ReLU, pooling, residual adds, flattening) works on the unquantized values in the
 * fake-quant graph and on int32 accumulators in the integer engine.
 *
 * <p>Feature maps are NHWC and flatten in (h, w, c) order.
 */
public final class LayerGraph {
  public static final int MAX_LAYERS = 256;
  public static final int MAX_CHANNELS = 1024;
  public static final int MAX_KERNEL = 11;
  public static final int MAX_STRIDE = 4;
  public static final int MAX_POOL = 8;
  public static final int MAX_UNITS = 65536;

  /** Most values one layer's output may hold per sample, so that activations stay bounded. */
  public static final long MAX_ACTIVATIONS = 1L << 22;

  /** The name that refers to the model's input image. */
  public static final String IMAGE = "image";

  private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");

  /**
   * The shape of one sample's value: a feature map (h, w, c) or, when {@code flat}, a vector of
   * {@code c} features (h = w = 1).
   */
  public record TensorShape(int height, int width, int channels, boolean flat) {
    public static TensorShape map(int h, int w, int c) {
      return new TensorShape(h, w, c, false);
    }

    public static TensorShape vector(int n) {
      return new TensorShape(1, 1, n, true);
    }

    public int elements() {
      return height * width * channels;
    }

    @Override
    public String toString() {
      return flat ? "[" + channels + "]" : "[" + height + ", " + width + ", " + channels + "]";
    }
  }

  /**
   * One layer, resolved.
   *
   * @param position index in {@link #nodes()}
   * @param input position of the node read, or -1 for the image
   * @param other add only: position of the node added to {@code input} (-1 for the image)
   * @param inShape shape of the value read
   * @param outShape shape of the value produced
   * @param layer conv2d and dense: the weight layer; else null
   * @param size maxPool and avgPool: the window; else 0
   * @param stride maxPool and avgPool: the stride; else 0
   */
  public record Node(
      int position,
      String name,
      Kind kind,
      int input,
      int other,
      TensorShape inShape,
      TensorShape outShape,
      LayerShape layer,
      int size,
      int stride) {}

  private final TensorShape imageShape;
  private final List<Node> nodes;
  private final List<LayerShape> layers;

  private LayerGraph(TensorShape imageShape, List<Node> nodes, List<LayerShape> layers) {
    this.imageShape = imageShape;
    this.nodes = List.copyOf(nodes);
    this.layers = List.copyOf(layers);
  }

  /** The graph of {@code spec}, which must be valid. */
  public static LayerGraph of(ModelSpec spec) {
    List<String> problems = new ArrayList<>();
    LayerGraph g = build(spec, problems);
    if (g == null) {
      throw new IllegalArgumentException("model: " + String.join("; ", problems));
    }
    return g;
  }

  /** Every problem of the layer graph of {@code spec}, naming the layer and the field. */
  static List<String> violations(ModelSpec spec) {
    List<String> problems = new ArrayList<>();
    build(spec, problems);
    return problems;
  }

  public List<Node> nodes() {
    return nodes;
  }

  /** The weight layers, input to output. */
  public List<LayerShape> layers() {
    return layers;
  }

  /** The shape of the image fed in (a vector when the graph starts by flattening it). */
  public TensorShape imageShape() {
    return imageShape;
  }

  /** Whether the image is fed as one vector per sample (the graph flattens it first). */
  public boolean flatInput() {
    return imageShape.flat();
  }

  /** Whether some layer is followed by batch norm. */
  public boolean hasBatchNorm() {
    return nodes.stream().anyMatch(n -> n.kind() == Kind.BATCH_NORM);
  }

  /** The node of weight layer {@code index}. */
  public Node nodeOf(int index) {
    for (Node n : nodes) {
      if (n.layer() != null && n.layer().index() == index) {
        return n;
      }
    }
    throw new IllegalArgumentException("no weight layer " + index);
  }

  /**
   * How reports name weight layer {@code index}: {@code conv0}, {@code dense2}, {@code output3}
   * (kind and index), followed by the layer's own name where the graph gives it one ({@code conv3
   * b1_conv1}).
   */
  public String label(int index) {
    Node n = nodeOf(index);
    LayerShape l = n.layer();
    String kind = l.conv() ? "conv" : (l.hidden() ? "dense" : "output");
    boolean named = !n.name().equals(defaultName(n.kind().json(), n.position()));
    return kind + index + (named ? " " + n.name() : "");
  }

  /**
   * Whether weight layer {@code index} reads a value that is non-negative by construction: the
   * image or a relu / relu6 output, through pooling and flattening.
   */
  public boolean readsNonNegative(int index) {
    return activationSource(nodeOf(index), nodes) == null;
  }

  /** The node whose value the network outputs (the logits). */
  public Node output() {
    return nodes.get(nodes.size() - 1);
  }

  // ---------------------------------------------------------------- building and checking

  private static LayerGraph build(ModelSpec spec, List<String> out) {
    List<LayerSpec> specs = spec.layerSpecs();
    int before = out.size();
    if (specs.isEmpty()) {
      out.add("model.layers: at least one layer (the output dense layer)");
      return null;
    }
    if (specs.size() > MAX_LAYERS) {
      out.add("model.layers: at most " + MAX_LAYERS + " layers, got " + specs.size());
      return null;
    }
    Map<String, Integer> positions = new HashMap<>();
    String[] names = new String[specs.size()];
    for (int i = 0; i < specs.size(); i++) {
      LayerSpec s = specs.get(i);
      String where = "model.layers[" + i + "]";
      if (s == null) {
        out.add(where + ": must be a layer object, got null");
        continue;
      }
      out.addAll(s.violations(where));
      String name = s.name() == null ? defaultName(s, i) : s.name();
      if (!NAME.matcher(name).matches() || name.equals(IMAGE)) {
        out.add(
            where
                + ".name: must be a letter then up to 63 letters, digits, '_', '.' or '-', and not"
                + " \""
                + IMAGE
                + "\", got "
                + LayerSpec.quoted(name));
      } else if (positions.putIfAbsent(name, i) != null) {
        out.add(
            where + ".name: \"" + name + "\" is already the name of layer " + positions.get(name));
      }
      names[i] = name;
    }
    if (out.size() > before) {
      return null;
    }
    TensorShape image =
        TensorShape.map(spec.inputHeight(), spec.inputWidth(), spec.inputChannels());
    if (specs.get(0).kind() == Kind.FLATTEN) {
      image = TensorShape.vector(image.elements());
    }
    List<Node> nodes = new ArrayList<>();
    List<LayerShape> layers = new ArrayList<>();
    int[] readers = new int[specs.size()];
    for (int i = 0; i < specs.size(); i++) {
      LayerSpec s = specs.get(i);
      String where = "model.layers[" + i + "] (" + names[i] + ")";
      int input = resolve(s.input(), i, positions, where + ".input", out);
      int other = s.kind() == Kind.ADD ? resolve(s.with(), i, positions, where + ".with", out) : -1;
      if (input < -1 || other < -1) {
        return null;
      }
      if (input >= 0) {
        readers[input]++;
      }
      if (other >= 0) {
        readers[other]++;
      }
      TensorShape in = input < 0 ? image : nodes.get(input).outShape();
      Node node = node(spec, s, i, names[i], input, other, in, image, nodes, layers, where, out);
      if (node == null) {
        return null;
      }
      nodes.add(node);
    }
    for (int i = 0; i + 1 < nodes.size(); i++) {
      if (readers[i] == 0) {
        out.add(
            "model.layers["
                + i
                + "] ("
                + names[i]
                + "): its output is never read (only the last layer's is the model's output)");
      }
    }
    Node last = nodes.get(nodes.size() - 1);
    if (last.kind() != Kind.DENSE || last.outShape().channels() != spec.numClasses()) {
      out.add(
          "model.layers: the last layer must be dense with numClasses ("
              + spec.numClasses()
              + ") units, the logits; got "
              + last.kind().json()
              + " with output "
              + last.outShape());
    }
    for (Node n : nodes) {
      if (n.kind() == Kind.BATCH_NORM && readers[n.input()] != 1) {
        out.add(
            "model.layers["
                + n.position()
                + "] ("
                + n.name()
                + "): batch norm is folded into "
                + nodes.get(n.input()).name()
                + ", so nothing else may read that layer's output");
      }
    }
    if (out.size() > before) {
      return null;
    }
    // Mark the weight layers followed by batch norm, and the last one as the logits.
    List<LayerShape> marked = new ArrayList<>();
    for (LayerShape l : layers) {
      boolean bn = false;
      for (Node n : nodes) {
        if (n.kind() == Kind.BATCH_NORM && nodes.get(n.input()).layer() == l) {
          bn = true;
        }
      }
      marked.add(l.with(l.index() + 1 < layers.size(), bn));
    }
    List<Node> finalNodes = new ArrayList<>();
    for (Node n : nodes) {
      finalNodes.add(
          n.layer() == null
              ? n
              : new Node(
                  n.position(),
                  n.name(),
                  n.kind(),
                  n.input(),
                  n.other(),
                  n.inShape(),
                  n.outShape(),
                  marked.get(n.layer().index()),
                  n.size(),
                  n.stride()));
    }
    return new LayerGraph(image, finalNodes, marked);
  }

  /**
   * The type and position ("conv2d3"); "layer3" for an unknown type, whose text (reported on its
   * own) may not make a valid name.
   */
  private static String defaultName(LayerSpec s, int position) {
    return defaultName(s.kind() == null ? "layer" : s.kind().json(), position);
  }

  private static String defaultName(String type, int position) {
    return type + position;
  }

  /** Position of the layer named {@code ref} (null: the previous one; "image": -1); < -1 if bad. */
  private static int resolve(
      String ref, int position, Map<String, Integer> positions, String where, List<String> out) {
    if (ref == null) {
      return position - 1;
    }
    if (ref.equals(IMAGE)) {
      return -1;
    }
    Integer p = positions.get(ref);
    if (p == null) {
      out.add(where + ": no layer is named " + LayerSpec.quoted(ref));
      return -2;
    }
    if (p >= position) {
      out.add(
          where + ": \"" + ref + "\" is not an earlier layer (a layer reads only earlier ones)");
      return -2;
    }
    return p;
  }

  private static Node node(
      ModelSpec spec,
      LayerSpec s,
      int i,
      String name,
      int input,
      int other,
      TensorShape in,
      TensorShape image,
      List<Node> nodes,
      List<LayerShape> layers,
      String where,
      List<String> out) {
    Kind k = s.kind();
    TensorShape result;
    LayerShape layer = null;
    int size = 0;
    int stride = 0;
    switch (k) {
      case CONV2D -> {
        if (in.flat()) {
          out.add(where + ": conv2d reads a feature map, got a flat " + in);
          return null;
        }
        int kernel = s.kernel() == null ? 3 : s.kernel();
        int st = s.stride() == null ? 1 : s.stride();
        int pad = s.padding() == null ? kernel / 2 : s.padding();
        int groups = s.groups() == null ? 1 : s.groups();
        if (groups != 1 && groups != in.channels()) {
          out.add(
              where
                  + ".groups: must be 1 or the input channels ("
                  + in.channels()
                  + ", depthwise), got "
                  + groups);
          return null;
        }
        if (groups > 1 && s.filters() != in.channels()) {
          out.add(
              where
                  + ".filters: a depthwise conv2d (groups = input channels) has as many filters as"
                  + " input channels ("
                  + in.channels()
                  + "), got "
                  + s.filters());
          return null;
        }
        int oh = outSize(in.height(), kernel, st, pad);
        int ow = outSize(in.width(), kernel, st, pad);
        if (oh < 1 || ow < 1) {
          out.add(
              where
                  + ".kernel: "
                  + kernel
                  + "x"
                  + kernel
                  + " with padding "
                  + pad
                  + " does not fit the input "
                  + in);
          return null;
        }
        result = TensorShape.map(oh, ow, s.filters());
        layer =
            new LayerShape(
                layers.size(),
                true,
                in.channels(),
                s.filters(),
                in.height(),
                in.width(),
                true,
                false,
                kernel,
                st,
                pad,
                groups,
                oh,
                ow,
                readsImage(input, nodes));
      }
      case DENSE -> {
        if (!in.flat()) {
          out.add(
              where
                  + ": dense reads a flat vector, got the feature map "
                  + in
                  + "; put flatten or globalAvgPool before it");
          return null;
        }
        Integer units = s.units();
        if (units == null) {
          if (i + 1 < spec.layerSpecs().size()) {
            out.add(where + ".units: required (only the last dense layer defaults to numClasses)");
            return null;
          }
          units = spec.numClasses();
        }
        result = TensorShape.vector(units);
        layer =
            new LayerShape(
                layers.size(),
                false,
                in.channels(),
                units,
                1,
                1,
                true,
                false,
                1,
                1,
                0,
                1,
                1,
                1,
                readsImage(input, nodes));
      }
      case BATCH_NORM -> {
        if (input < 0 || nodes.get(input).layer() == null) {
          out.add(
              where
                  + ": batchNorm must read a conv2d or dense layer (it is folded into its weights),"
                  + " got "
                  + (input < 0 ? IMAGE : nodes.get(input).kind().json()));
          return null;
        }
        result = in;
      }
      case RELU, RELU6 -> result = in;
      case MAX_POOL, AVG_POOL -> {
        if (in.flat()) {
          out.add(where + ": " + k.json() + " reads a feature map, got a flat " + in);
          return null;
        }
        size = s.size() == null ? 2 : s.size();
        stride = s.stride() == null ? size : s.stride();
        int oh = outSize(in.height(), size, stride, 0);
        int ow = outSize(in.width(), size, stride, 0);
        if (oh < 1 || ow < 1) {
          out.add(where + ".size: a " + size + "x" + size + " window does not fit the input " + in);
          return null;
        }
        result = TensorShape.map(oh, ow, in.channels());
      }
      case GLOBAL_AVG_POOL -> {
        if (in.flat()) {
          out.add(where + ": globalAvgPool reads a feature map, got a flat " + in);
          return null;
        }
        result = TensorShape.vector(in.channels());
      }
      case ADD -> {
        TensorShape with = other < 0 ? image : nodes.get(other).outShape();
        if (!with.equals(in)) {
          out.add(
              where
                  + ": add joins values of different shapes: "
                  + in
                  + " ("
                  + (input < 0 ? IMAGE : nodes.get(input).name())
                  + ") and "
                  + with
                  + " ("
                  + s.with()
                  + ")");
          return null;
        }
        result = in;
      }
      case FLATTEN -> result = TensorShape.vector(in.elements());
      default -> throw new IllegalStateException("unhandled layer kind " + k);
    }
    if ((long) result.height() * result.width() * result.channels() > MAX_ACTIVATIONS) {
      out.add(where + ": output " + result + " exceeds " + MAX_ACTIVATIONS + " values per sample");
      return null;
    }
    if (layer != null) {
      layers.add(layer);
    }
    return new Node(i, name, k, input, other, in, result, layer, size, stride);
  }

  /**
   * The node that makes weight layer {@code n}'s input when it is not a relu, relu6 or the image
   * (looking through pooling and flatten); null when the input is non-negative by construction.
   */
  private static Node activationSource(Node n, List<Node> nodes) {
    int p = n.input();
    while (p >= 0) {
      Node s = nodes.get(p);
      switch (s.kind()) {
        case RELU, RELU6 -> {
          return null;
        }
        case MAX_POOL, AVG_POOL, GLOBAL_AVG_POOL, FLATTEN -> p = s.input();
        default -> {
          return s;
        }
      }
    }
    return null;
  }

  private static int outSize(int in, int window, int stride, int pad) {
    long span = (long) in + 2L * pad - window;
    return span < 0 ? 0 : (int) (span / stride + 1);
  }

  /**
   * Whether a weight layer reading node {@code input} sees the image's bytes unchanged (through
   * flattening and max pooling only): then its input needs no quantizer.
   */
  private static boolean readsImage(int input, List<Node> nodes) {
    int p = input;
    while (p >= 0) {
      Node n = nodes.get(p);
      if (n.kind() != Kind.FLATTEN && n.kind() != Kind.MAX_POOL) {
        return false;
      }
      p = n.input();
    }
    return true;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("LayerGraph[image " + imageShape);
    for (Node n : nodes) {
      b.append(", ").append(n.name()).append(' ').append(n.kind().json()).append(' ');
      b.append(Arrays.asList(n.input(), n.other())).append("->").append(n.outShape());
    }
    return b.append(']').toString();
  }
}
