package io.qatfleet.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.LayerGraph.Node;
import io.qatfleet.core.model.LayerGraph.TensorShape;
import io.qatfleet.core.model.LayerSpec.Kind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The layer graph of a job spec's {@code model.layers}, read from JSON as a job arrives: shapes and
 * weight layers of a valid graph worked out by hand, each violation message once and word for word,
 * the presets' graphs, and hostile sizes. Convolution output sizes are {@code floor((in + 2·pad −
 * kernel) / stride) + 1}.
 */
class LayerGraphTest {

  /** A job on the default dataset (Fashion-MNIST: 28×28×1, 10 classes) with this model section. */
  private static JobSpec job(String model) {
    return JobSpec.fromJson(("{'name': 'graph-test', 'model': " + model + "}").replace('\'', '"'));
  }

  /** The model violations of a graph on the default 28×28×1 image with 10 classes. */
  private static List<String> violations(String layers) {
    return job("{'layers': " + layers + "}").model().violations();
  }

  // ---------------------------------------------------------------- a valid residual graph

  /**
   * A residual block as a user writes it: a stride-2 stem with batch norm, a stride-2 main path
   * with batch norm, a 1×1 stride-2 projection shortcut reading the stem's ReLU by name, the join,
   * global average pooling and the logits.
   */
  private static final String RESIDUAL =
      "{'layers': ["
          + "{'type': 'conv2d', 'name': 'stem', 'filters': 8, 'kernel': 3, 'stride': 2,"
          + " 'padding': 1},"
          + "{'type': 'batchNorm'},"
          + "{'type': 'relu', 'name': 'stem_out'},"
          + "{'type': 'conv2d', 'name': 'c1', 'filters': 16, 'stride': 2, 'padding': 1},"
          + "{'type': 'batchNorm', 'name': 'main'},"
          + "{'type': 'conv2d', 'name': 'proj', 'input': 'stem_out', 'filters': 16, 'kernel': 1,"
          + " 'stride': 2, 'padding': 0},"
          + "{'type': 'add', 'name': 'join', 'input': 'main', 'with': 'proj'},"
          + "{'type': 'relu'},"
          + "{'type': 'globalAvgPool'},"
          + "{'type': 'dense'}"
          + "]}";

  @Test
  void acceptsResidualGraphFromJobJson() {
    JobSpec spec = job(RESIDUAL);
    assertThat(spec.violations()).isEmpty();
    assertThat(spec.model().architecture()).isEqualTo(Architecture.GRAPH);
    assertThat(spec.model().layerCount()).isEqualTo(4);
  }

  @Test
  void infersNodeInputsAndShapesOfResidualGraph() {
    LayerGraph g = job(RESIDUAL).model().graph();
    // stem: (28 + 2 - 3) / 2 + 1 = 14; c1: (14 + 2 - 3) / 2 + 1 = 7; proj: (14 - 1) / 2 + 1 = 7.
    assertThat(g.imageShape()).isEqualTo(TensorShape.map(28, 28, 1));
    assertThat(g.flatInput()).isFalse();
    assertThat(g.hasBatchNorm()).isTrue();
    assertThat(g.nodes())
        .extracting(Node::name)
        .containsExactly(
            "stem",
            "batchNorm1",
            "stem_out",
            "c1",
            "main",
            "proj",
            "join",
            "relu7",
            "globalAvgPool8",
            "dense9");
    assertThat(g.nodes())
        .extracting(Node::kind)
        .containsExactly(
            Kind.CONV2D,
            Kind.BATCH_NORM,
            Kind.RELU,
            Kind.CONV2D,
            Kind.BATCH_NORM,
            Kind.CONV2D,
            Kind.ADD,
            Kind.RELU,
            Kind.GLOBAL_AVG_POOL,
            Kind.DENSE);
    assertThat(g.nodes()).extracting(Node::input).containsExactly(-1, 0, 1, 2, 3, 2, 4, 6, 7, 8);
    assertThat(g.nodes().get(6).other()).isEqualTo(5);
    assertThat(g.nodes())
        .extracting(Node::outShape)
        .containsExactly(
            TensorShape.map(14, 14, 8),
            TensorShape.map(14, 14, 8),
            TensorShape.map(14, 14, 8),
            TensorShape.map(7, 7, 16),
            TensorShape.map(7, 7, 16),
            TensorShape.map(7, 7, 16),
            TensorShape.map(7, 7, 16),
            TensorShape.map(7, 7, 16),
            TensorShape.vector(16),
            TensorShape.vector(10));
    assertThat(g.nodes().get(5).inShape()).isEqualTo(TensorShape.map(14, 14, 8));
    assertThat(g.output().name()).isEqualTo("dense9");
    assertThat(g.nodeOf(2).name()).isEqualTo("proj");
  }

  @Test
  void describesWeightLayersOfResidualGraph() {
    List<LayerShape> layers = job(RESIDUAL).model().graph().layers();
    // index, conv, in, out, height, width, hidden, batchNorm, kernel, stride, padding, groups,
    // outHeight, outWidth, readsImage
    assertThat(layers)
        .containsExactly(
            new LayerShape(0, true, 1, 8, 28, 28, true, true, 3, 2, 1, 1, 14, 14, true),
            new LayerShape(1, true, 8, 16, 14, 14, true, true, 3, 2, 1, 1, 7, 7, false),
            new LayerShape(2, true, 8, 16, 14, 14, true, false, 1, 2, 0, 1, 7, 7, false),
            new LayerShape(3, false, 16, 10, 1, 1, false, false, 1, 1, 0, 1, 1, 1, false));
    assertThat(layers.get(0).kernelShape()).containsExactly(3, 3, 1, 8);
    assertThat(layers.get(1).kernelShape()).containsExactly(3, 3, 8, 16);
    assertThat(layers.get(2).kernelShape()).containsExactly(1, 1, 8, 16);
    assertThat(layers.get(3).kernelShape()).containsExactly(16, 10);
  }

  @Test
  void describesDepthwiseKernelWithOneInputChannelPerFilter() {
    List<LayerShape> layers =
        violationsFree(
            "{'layers': [{'type': 'conv2d', 'filters': 4}, {'type': 'conv2d', 'filters': 4,"
                + " 'groups': 4, 'stride': 2}, {'type': 'batchNorm'}, {'type': 'relu6'},"
                + " {'type': 'globalAvgPool'}, {'type': 'dense'}]}");
    LayerShape dw = layers.get(1);
    assertThat(dw.depthwise()).isTrue();
    assertThat(dw.batchNorm()).isTrue();
    assertThat(dw.kernelShape()).containsExactly(3, 3, 1, 4);
    assertThat(dw.fanIn()).isEqualTo(9);
    // (28 + 2 - 3) / 2 + 1 = 14
    assertThat(dw.outHeight()).isEqualTo(14);
    assertThat(layers.get(0).depthwise()).isFalse();
  }

  @Test
  void marksLayerReadingImageThroughMaxPoolAndFlattenOnly() {
    List<LayerShape> layers =
        violationsFree(
            "{'layers': [{'type': 'maxPool'}, {'type': 'flatten'}, {'type': 'dense', 'units': 8},"
                + " {'type': 'relu'}, {'type': 'dense'}]}");
    assertThat(layers.get(0).readsImage()).isTrue();
    assertThat(layers.get(0).inChannels()).isEqualTo(14 * 14);
    assertThat(layers.get(1).readsImage()).isFalse();

    List<LayerShape> pooled =
        violationsFree("{'layers': [{'type': 'avgPool'}, {'type': 'flatten'}, {'type': 'dense'}]}");
    // An average of bytes is no longer a byte: that layer's input has its own quantizer.
    assertThat(pooled.get(0).readsImage()).isFalse();
  }

  @Test
  void feedsImageFlatWhenGraphStartsByFlattening() {
    LayerGraph g = job("{'layers': [{'type': 'flatten'}, {'type': 'dense'}]}").model().graph();
    assertThat(g.flatInput()).isTrue();
    assertThat(g.imageShape()).isEqualTo(TensorShape.vector(784));
  }

  private static List<LayerShape> violationsFree(String model) {
    ModelSpec spec = job(model).model();
    assertThat(spec.violations()).isEmpty();
    return spec.graph().layers();
  }

  // ---------------------------------------------------------------- every violation, word for word

  @Test
  void rejectsUnknownType() {
    assertThat(violations("[{'type': 'flatten'}, {'type': 'conv3d'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[1].type: must be one of conv2d, batchNorm, relu, relu6, maxPool,"
                + " avgPool, globalAvgPool, add, flatten, dense, got \"conv3d\"");
  }

  @Test
  void rejectsUnknownTypeWithoutBlamingTheDefaultName() {
    // The default name is the type and position; "3x3 conv1" would not be a valid name.
    assertThat(violations("[{'type': 'flatten'}, {'type': '3x3 conv'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[1].type: must be one of conv2d, batchNorm, relu, relu6, maxPool,"
                + " avgPool, globalAvgPool, add, flatten, dense, got \"3x3 conv\"");
  }

  @Test
  void rejectsMissingType() {
    assertThat(violations("[{'type': 'flatten'}, {'units': 10}]"))
        .containsExactly(
            "model.layers[1].type: must be one of conv2d, batchNorm, relu, relu6, maxPool,"
                + " avgPool, globalAvgPool, add, flatten, dense, got nothing");
  }

  @Test
  void rejectsFieldTheTypeDoesNotTake() {
    assertThat(
            violations(
                "[{'type': 'flatten'}, {'type': 'dense', 'units': 8, 'kernel': 3},"
                    + " {'type': 'relu'}, {'type': 'dense'}]"))
        .containsExactly("model.layers[1].kernel: dense takes no kernel");
  }

  @Test
  void rejectsOutOfRangeField() {
    assertThat(
            violations(
                "[{'type': 'conv2d', 'filters': 4, 'kernel': 12}, {'type': 'flatten'},"
                    + " {'type': 'dense'}]"))
        .containsExactly("model.layers[0].kernel: must be in 1..11, got 12");
  }

  @Test
  void rejectsConvWithoutFilters() {
    assertThat(violations("[{'type': 'conv2d'}, {'type': 'flatten'}, {'type': 'dense'}]"))
        .containsExactly("model.layers[0].filters: required for conv2d");
  }

  @Test
  void rejectsAddWithoutWith() {
    assertThat(
            violations(
                "[{'type': 'conv2d', 'filters': 4}, {'type': 'add'}, {'type': 'flatten'},"
                    + " {'type': 'dense'}]"))
        .containsExactly("model.layers[1].with: an add layer names the earlier layer it adds");
  }

  @Test
  void rejectsNullLayer() {
    assertThat(violations("[{'type': 'flatten'}, null, {'type': 'dense'}]"))
        .containsExactly("model.layers[1]: must be a layer object, got null");
  }

  @Test
  void rejectsBadName() {
    assertThat(violations("[{'type': 'flatten', 'name': 'image'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[0].name: must be a letter then up to 63 letters, digits, '_', '.' or"
                + " '-', and not \"image\", got \"image\"");
    assertThat(violations("[{'type': 'flatten', 'name': '1st layer'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[0].name: must be a letter then up to 63 letters, digits, '_', '.' or"
                + " '-', and not \"image\", got \"1st layer\"");
  }

  @Test
  void rejectsDuplicateName() {
    assertThat(
            violations(
                "[{'type': 'flatten', 'name': 'x'}, {'type': 'dense', 'units': 8, 'name': 'x'},"
                    + " {'type': 'dense'}]"))
        .containsExactly("model.layers[1].name: \"x\" is already the name of layer 0");
  }

  @Test
  void rejectsUnknownReference() {
    assertThat(violations("[{'type': 'flatten'}, {'type': 'dense', 'input': 'nowhere'}]"))
        .containsExactly("model.layers[1] (dense1).input: no layer is named \"nowhere\"");
  }

  @Test
  void rejectsReferenceToLaterLayer() {
    assertThat(
            violations(
                "[{'type': 'conv2d', 'filters': 4}, {'type': 'add', 'with': 'later'},"
                    + " {'type': 'conv2d', 'filters': 4, 'name': 'later'},"
                    + " {'type': 'globalAvgPool'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[1] (add1).with: \"later\" is not an earlier layer (a layer reads only"
                + " earlier ones)");
  }

  @Test
  void rejectsReferenceToItself() {
    assertThat(violations("[{'type': 'flatten', 'name': 'f', 'input': 'f'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[0] (f).input: \"f\" is not an earlier layer (a layer reads only earlier"
                + " ones)");
  }

  @Test
  void rejectsConvOnFlatInput() {
    assertThat(
            violations(
                "[{'type': 'flatten'}, {'type': 'conv2d', 'filters': 4}, {'type': 'dense'}]"))
        .containsExactly("model.layers[1] (conv2d1): conv2d reads a feature map, got a flat [784]");
  }

  @Test
  void rejectsDenseOnFeatureMap() {
    assertThat(violations("[{'type': 'conv2d', 'filters': 4}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[1] (dense1): dense reads a flat vector, got the feature map"
                + " [28, 28, 4]; put flatten or globalAvgPool before it");
  }

  @Test
  void rejectsHiddenDenseWithoutUnits() {
    assertThat(violations("[{'type': 'flatten'}, {'type': 'dense'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[1] (dense1).units: required (only the last dense layer defaults to"
                + " numClasses)");
  }

  @Test
  void rejectsDepthwiseWithOtherFilterCount() {
    assertThat(
            violations(
                "[{'type': 'conv2d', 'filters': 4}, {'type': 'conv2d', 'filters': 8, 'groups': 4},"
                    + " {'type': 'globalAvgPool'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[1] (conv2d1).filters: a depthwise conv2d (groups = input channels) has"
                + " as many filters as input channels (4), got 8");
  }

  @Test
  void rejectsGroupsNeitherOneNorChannels() {
    assertThat(
            violations(
                "[{'type': 'conv2d', 'filters': 4}, {'type': 'conv2d', 'filters': 4, 'groups': 2},"
                    + " {'type': 'globalAvgPool'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[1] (conv2d1).groups: must be 1 or the input channels (4, depthwise),"
                + " got 2");
  }

  @Test
  void rejectsKernelLargerThanPaddedInput() {
    // (28 - 11) / 4 + 1 = 5; then 5 + 2·0 < 11.
    assertThat(
            violations(
                "[{'type': 'conv2d', 'filters': 4, 'kernel': 11, 'stride': 4, 'padding': 0},"
                    + " {'type': 'conv2d', 'filters': 4, 'kernel': 11, 'padding': 0},"
                    + " {'type': 'flatten'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[1] (conv2d1).kernel: 11x11 with padding 0 does not fit the input"
                + " [5, 5, 4]");
  }

  @Test
  void rejectsPoolWindowLargerThanInput() {
    assertThat(
            violations(
                "[{'type': 'conv2d', 'filters': 4, 'kernel': 11, 'stride': 4, 'padding': 0},"
                    + " {'type': 'maxPool', 'size': 8}, {'type': 'flatten'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[1] (maxPool1).size: a 8x8 window does not fit the input" + " [5, 5, 4]");
  }

  @Test
  void rejectsPoolingOnFlatInput() {
    assertThat(violations("[{'type': 'flatten'}, {'type': 'avgPool'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[1] (avgPool1): avgPool reads a feature map, got a flat [784]");
    assertThat(violations("[{'type': 'flatten'}, {'type': 'globalAvgPool'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[1] (globalAvgPool1): globalAvgPool reads a feature map, got a flat"
                + " [784]");
  }

  @Test
  void rejectsAddOfDifferentShapes() {
    assertThat(
            violations(
                "[{'type': 'conv2d', 'filters': 4, 'name': 'a'},"
                    + " {'type': 'conv2d', 'filters': 8, 'name': 'b'},"
                    + " {'type': 'add', 'with': 'a'}, {'type': 'globalAvgPool'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[2] (add2): add joins values of different shapes: [28, 28, 8] (b) and"
                + " [28, 28, 4] (a)");
  }

  @Test
  void rejectsBatchNormNotAfterWeightLayer() {
    assertThat(
            violations(
                "[{'type': 'conv2d', 'filters': 4}, {'type': 'relu'}, {'type': 'batchNorm'},"
                    + " {'type': 'globalAvgPool'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[2] (batchNorm2): batchNorm must read a conv2d or dense layer (it is"
                + " folded into its weights), got relu");
    assertThat(violations("[{'type': 'batchNorm'}, {'type': 'flatten'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[0] (batchNorm0): batchNorm must read a conv2d or dense layer (it is"
                + " folded into its weights), got image");
  }

  @Test
  void rejectsBatchNormOnLayerReadElsewhere() {
    // The add reads conv "c" unnormalised; folding the batch norm into c would change that value.
    assertThat(
            violations(
                "[{'type': 'conv2d', 'filters': 4, 'name': 'c'},"
                    + " {'type': 'batchNorm', 'name': 'bn'},"
                    + " {'type': 'add', 'with': 'c'}, {'type': 'globalAvgPool'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[1] (bn): batch norm is folded into c, so nothing else may read that"
                + " layer's output");
  }

  @Test
  void rejectsOutputNeverRead() {
    assertThat(
            violations(
                "[{'type': 'conv2d', 'filters': 4, 'name': 'lost'},"
                    + " {'type': 'flatten', 'input': 'image'}, {'type': 'dense'}]"))
        .containsExactly(
            "model.layers[0] (lost): its output is never read (only the last layer's is the"
                + " model's output)");
  }

  @Test
  void rejectsLastLayerThatIsNotTheLogits() {
    assertThat(violations("[{'type': 'flatten'}, {'type': 'dense', 'units': 5}]"))
        .containsExactly(
            "model.layers: the last layer must be dense with numClasses (10) units, the logits;"
                + " got dense with output [5]");
    assertThat(
            violations("[{'type': 'flatten'}, {'type': 'dense', 'units': 10}, {'type': 'relu'}]"))
        .containsExactly(
            "model.layers: the last layer must be dense with numClasses (10) units, the logits;"
                + " got relu with output [10]");
  }

  @Test
  void rejectsTooManyLayers() {
    assertThat(violations(layerList(LayerGraph.MAX_LAYERS + 1)))
        .containsExactly("model.layers: at most 256 layers, got 257");
    assertThat(violations(layerList(LayerGraph.MAX_LAYERS))).isEmpty();
  }

  @Test
  void rejectsOutputBeyondActivationCap() {
    // 1024 x 1024 x 8 = 2^23 values per sample, twice the cap of 2^22.
    List<String> v =
        job("{'inputHeight': 1024, 'inputWidth': 1024, 'layers': [{'type': 'conv2d',"
                + " 'filters': 8}, {'type': 'globalAvgPool'}, {'type': 'dense'}]}")
            .model()
            .violations();
    assertThat(v)
        .containsExactly(
            "model.layers[0] (conv2d0): output [1024, 1024, 8] exceeds 4194304 values per"
                + " sample");
  }

  @Test
  void rejectsLayersWithPresetArchitecture() {
    assertThat(
            job("{'architecture': 'resnet8', 'layers': [{'type': 'flatten'}, {'type': 'dense'}]}")
                .model()
                .violations())
        .containsExactly("model.layers: only for architecture graph (or none), got resnet8");
    // The architecture as the JSON writes it, not as the Java enum spells it.
    assertThat(
            job("{'architecture': 'mobilenet-tiny', 'layers': [{'type': 'flatten'},"
                    + " {'type': 'dense'}]}")
                .model()
                .violations())
        .containsExactly("model.layers: only for architecture graph (or none), got mobilenet-tiny");
  }

  @Test
  void rejectsGraphWithoutLayers() {
    assertThat(job("{'architecture': 'graph'}").model().violations())
        .containsExactly("model.layers: required for architecture graph");
    assertThat(violations("[]"))
        .containsExactly("model.layers: at least one layer (the output dense layer)");
  }

  @Test
  void rejectsConvChannelsWithResnet8() {
    assertThat(job("{'architecture': 'resnet8', 'convChannels': [8]}").model().violations())
        .containsExactly(
            "model: convChannels, denseUnits and batchNorm apply to cnn and mlp only, not to"
                + " resnet8 (its layers are fixed or given as model.layers)");
  }

  @Test
  void graphOfInvalidSpecThrowsWithEveryProblem() {
    ModelSpec spec =
        job("{'layers': [{'type': 'flatten'}, {'type': 'dense', 'units': 5}]}").model();
    assertThatThrownBy(spec::graph)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "model: model.layers: the last layer must be dense with numClasses (10) units, the"
                + " logits; got dense with output [5]");
  }

  @Test
  void jobSpecReportsGraphViolations() {
    JobSpec spec = job("{'layers': [{'type': 'flatten'}, {'type': 'dense', 'units': 5}]}");
    assertThat(spec.violations())
        .contains(
            "model.layers: the last layer must be dense with numClasses (10) units, the logits;"
                + " got dense with output [5]");
  }

  /** {@code n} layers: flatten, n − 2 ReLUs, the logits. */
  private static String layerList(int n) {
    List<String> out = new ArrayList<>();
    out.add("{'type': 'flatten'}");
    for (int i = 0; i < n - 2; i++) {
      out.add("{'type': 'relu'}");
    }
    out.add("{'type': 'dense'}");
    return "[" + String.join(", ", out) + "]";
  }

  // ---------------------------------------------------------------- presets

  private static LayerGraph preset(Architecture a, int size, int channels) {
    ModelSpec spec = ModelSpec.preset(a, size, size, channels, 10);
    assertThat(spec.violations()).isEmpty();
    return spec.graph();
  }

  /** The shape entering the global average pool (or flatten) of a preset. */
  private static TensorShape lastMap(LayerGraph g) {
    return g.nodes().stream()
        .filter(n -> n.kind() == Kind.GLOBAL_AVG_POOL || n.kind() == Kind.FLATTEN)
        .findFirst()
        .orElseThrow()
        .inShape();
  }

  @Test
  void expandsLenet5() {
    // 28: conv 5x5 pad 2 keeps 28, pool 14, conv 5x5 pad 0 gives 10, pool 5: 5·5·16 = 400.
    LayerGraph mnist = preset(Architecture.LENET5, 28, 1);
    assertThat(mnist.layers()).hasSize(5);
    assertThat(lastMap(mnist)).isEqualTo(TensorShape.map(5, 5, 16));
    assertThat(mnist.layers())
        .extracting(LayerShape::outChannels)
        .containsExactly(6, 16, 120, 84, 10);
    assertThat(mnist.layers().get(2).inChannels()).isEqualTo(400);
    assertThat(mnist.output().outShape()).isEqualTo(TensorShape.vector(10));
    // 32: 32, 16, 12, 6: 6·6·16 = 576.
    LayerGraph rgb = preset(Architecture.LENET5, 32, 3);
    assertThat(rgb.layers()).hasSize(5);
    assertThat(rgb.layers().get(0).kernelShape()).containsExactly(5, 5, 3, 6);
    assertThat(lastMap(rgb)).isEqualTo(TensorShape.map(6, 6, 16));
    assertThat(rgb.layers().get(2).inChannels()).isEqualTo(576);
  }

  @Test
  void expandsResnet8() {
    // stem + 2 convs in block 1 + 3 (two convs and the projection) in blocks 2 and 3 + logits.
    LayerGraph mnist = preset(Architecture.RESNET8, 28, 1);
    assertThat(mnist.layers()).hasSize(10);
    // 28 → 14 → 7 by the two stride-2 blocks.
    assertThat(lastMap(mnist)).isEqualTo(TensorShape.map(7, 7, 64));
    assertThat(mnist.output().outShape()).isEqualTo(TensorShape.vector(10));
    assertThat(mnist.layers().stream().filter(LayerShape::batchNorm)).hasSize(9);
    assertThat(mnist.layers().stream().filter(l -> l.kernel() == 1 && l.conv())).hasSize(2);
    assertThat(mnist.nodes().stream().filter(n -> n.kind() == Kind.ADD)).hasSize(3);
    LayerGraph rgb = preset(Architecture.RESNET8, 32, 3);
    assertThat(rgb.layers()).hasSize(10);
    assertThat(lastMap(rgb)).isEqualTo(TensorShape.map(8, 8, 64));
    assertThat(rgb.layers().get(0).kernelShape()).containsExactly(3, 3, 3, 16);
  }

  @Test
  void expandsMobilenetTiny() {
    // stem + three depthwise-pointwise pairs + logits.
    LayerGraph mnist = preset(Architecture.MOBILENET_TINY, 28, 1);
    assertThat(mnist.layers()).hasSize(8);
    assertThat(mnist.layers().stream().filter(LayerShape::depthwise)).hasSize(3);
    // 28 → 14 → 7 by the stride-2 depthwise convs of blocks 1 and 2.
    assertThat(lastMap(mnist)).isEqualTo(TensorShape.map(7, 7, 128));
    assertThat(mnist.output().outShape()).isEqualTo(TensorShape.vector(10));
    assertThat(mnist.layers().get(1).kernelShape()).containsExactly(3, 3, 1, 16);
    LayerGraph rgb = preset(Architecture.MOBILENET_TINY, 32, 3);
    assertThat(rgb.layers()).hasSize(8);
    assertThat(lastMap(rgb)).isEqualTo(TensorShape.map(8, 8, 128));
  }

  @Test
  void readsPresetNamesFromJobJson() {
    assertThat(job("{'architecture': 'mobilenet-tiny'}").violations()).isEmpty();
    assertThat(job("{'architecture': 'lenet5'}").model().graph().layers()).hasSize(5);
    assertThat(job("{'architecture': 'resnet8'}").model().layerCount()).isEqualTo(10);
  }

  /**
   * The weight layers cnn and mlp had before layer graphs, by the old rule: 3×3 same convs each
   * halving the map by its 2×2 pool, dense layers on the flattened map, batch norm on every hidden
   * layer when asked, only layer 0 reading the image.
   */
  private static List<LayerShape> oldLayers(ModelSpec spec) {
    List<LayerShape> out = new ArrayList<>();
    int h = spec.inputHeight();
    int w = spec.inputWidth();
    int channels = spec.inputChannels();
    boolean bn = spec.batchNorm();
    for (int c : spec.convChannels()) {
      int i = out.size();
      out.add(new LayerShape(i, true, channels, c, h, w, true, bn, 3, 1, 1, 1, h, w, i == 0));
      channels = c;
      h /= 2;
      w /= 2;
    }
    int features = h * w * channels;
    for (int units : spec.denseUnits()) {
      int i = out.size();
      out.add(new LayerShape(i, false, features, units, 1, 1, true, bn, 1, 1, 0, 1, 1, 1, i == 0));
      features = units;
    }
    int i = out.size();
    out.add(
        new LayerShape(
            i, false, features, spec.numClasses(), 1, 1, false, false, 1, 1, 0, 1, 1, 1, i == 0));
    return out;
  }

  @Test
  void keepsLayerShapesOfCnnAndMlpPresets() {
    List<ModelSpec> specs =
        List.of(
            ModelSpec.smallCnn(),
            ModelSpec.mlp(),
            new ModelSpec(
                Architecture.CNN, List.of(8, 16, 32), List.of(64), true, 32, 32, 10, 3, null),
            new ModelSpec(Architecture.MLP, List.of(), List.of(32), true, 28, 28, 10),
            new ModelSpec(Architecture.CNN, List.of(4), List.of(), false, 8, 8, 2));
    for (ModelSpec spec : specs) {
      assertThat(spec.violations()).isEmpty();
      assertThat(LayerShape.of(spec)).as(spec.toString()).isEqualTo(oldLayers(spec));
    }
  }

  // ---------------------------------------------------------------- hostile input

  @Test
  void refusesTenThousandLayersWithOneMessage() {
    // Each layer would be huge if built (1024 filters of 11×11 on a 1024-filter map): a single
    // message shows that none was looked at.
    StringBuilder layers = new StringBuilder("[");
    for (int i = 0; i < 10_000; i++) {
      layers.append(i == 0 ? "" : ", ").append("{'type': 'conv2d', 'filters': 1024, 'kernel': 11}");
    }
    layers.append("]");
    JobSpec spec = job("{'layers': " + layers + "}");
    assertThat(spec.model().violations())
        .containsExactly("model.layers: at most 256 layers, got 10000");
    assertThat(spec.violations()).containsExactly("model.layers: at most 256 layers, got 10000");
    assertThatThrownBy(spec.model()::graph)
        .hasMessage("model: model.layers: at most 256 layers, got 10000");
  }

  @Test
  void refusesHugeNumbers() {
    assertThat(
            violations(
                "[{'type': 'conv2d', 'filters': 2147483647, 'kernel': 2147483647, 'stride': -1,"
                    + " 'padding': 2147483647, 'groups': -2147483648}, {'type': 'maxPool',"
                    + " 'size': 2147483647}, {'type': 'flatten'}, {'type': 'dense',"
                    + " 'units': 2147483647}]"))
        .containsExactly(
            "model.layers[0].filters: must be in 1..1024, got 2147483647",
            "model.layers[0].kernel: must be in 1..11, got 2147483647",
            "model.layers[0].stride: must be in 1..4, got -1",
            "model.layers[0].padding: must be in 0..10, got 2147483647",
            "model.layers[0].groups: must be in 1..1024, got -2147483648",
            "model.layers[1].size: must be in 1..8, got 2147483647",
            "model.layers[3].units: must be in 1..65536, got 2147483647");
  }

  @Test
  void refusesUnknownLayerFieldAsInvalidJson() {
    assertThatThrownBy(() -> violations("[{'type': 'flatten', 'channels': 3}, {'type': 'dense'}]"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "job spec is not valid JSON: model.layers[0].channels: Unrecognized field"
                + " \"channels\"");
  }

  @Test
  void refusesNumbersBeyondIntAsInvalidJson() {
    assertThatThrownBy(
            () ->
                violations(
                    "[{'type': 'conv2d', 'filters': 99999999999999999999}, {'type': 'flatten'},"
                        + " {'type': 'dense'}]"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("job spec is not valid JSON: ")
        .hasMessageContaining("out of range of int");
  }

  @Test
  void cutsHostileTypeAndReferenceNamesInMessages() {
    String longName = "x".repeat(10_000);
    List<String> v =
        violations("[{'type': 'flatten'}, {'type': 'dense', 'input': '" + longName + "'}]");
    assertThat(v)
        .containsExactly(
            "model.layers[1] (dense1).input: no layer is named \"" + "x".repeat(64) + "…\"");
  }
}
