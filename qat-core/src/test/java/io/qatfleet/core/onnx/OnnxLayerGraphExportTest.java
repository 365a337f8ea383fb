package io.qatfleet.core.onnx;

import static io.qatfleet.core.model.LayerSpec.add;
import static io.qatfleet.core.model.LayerSpec.conv;
import static io.qatfleet.core.model.LayerSpec.dense;
import static io.qatfleet.core.model.LayerSpec.depthwise;
import static io.qatfleet.core.model.LayerSpec.named;
import static io.qatfleet.core.model.LayerSpec.of;
import static io.qatfleet.core.model.LayerSpec.pool;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtException;
import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.infer.QuantizedLayer;
import io.qatfleet.core.infer.QuantizedModel;
import io.qatfleet.core.model.LayerGraph;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.LayerSpec;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.quant.Granularity;
import io.qatfleet.core.quant.QuantSpec;
import io.qatfleet.core.quant.QuantizedTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Small hand-made integer models on layer graphs (stride-2 and depthwise convs, relu6, residual
 * add, average and global average pooling, max pooling and flattening of the image bytes, flatten
 * of multi-channel maps), random levels, exported and run in ONNX Runtime; the logits must equal
 * those of an independent reference written here from the semantics in graph-design terms: NHWC
 * values in double, each weight layer's input rounded half to even at its step and clamped to its
 * grid (or the image's bytes as they are), int32 accumulation of levels and bias, times the
 * accumulator step; everything else on real values.
 */
class OnnxLayerGraphExportTest {
  private static final int SAMPLES = 64;

  /** conv stride 2 on the image, relu6, depthwise, residual add, relu, avgPool, flatten, dense. */
  private static final ModelSpec RESIDUAL =
      ModelSpec.graph(
          List.of(
              conv("c0", 4, 3, 2, 1),
              named("relu6", "r0"),
              depthwise("dw", 4, 1),
              add("sum", "r0"),
              of("relu"),
              pool("avgPool", 2, 2),
              of("flatten"),
              dense(3)),
          7,
          7,
          2,
          3);

  /** Max pooling and flattening of the 2-channel image's bytes, then two dense layers. */
  private static final ModelSpec POOLED_IMAGE =
      ModelSpec.graph(
          List.of(pool("maxPool", 2, 2), of("flatten"), dense(5), of("relu"), dense(3)),
          6,
          6,
          2,
          3);

  /** Average pooling of the image (so the first conv quantizes it), conv k2 s2, global pool. */
  private static final ModelSpec GLOBAL_POOL =
      ModelSpec.graph(
          List.of(
              pool("avgPool", 2, 1),
              conv("c0", 8, 3, 1, 1),
              of("relu"),
              conv("c1", 6, 2, 2, 0),
              of("relu"),
              of("globalAvgPool"),
              dense(3)),
          5,
          5,
          1,
          3);

  /**
   * A chain whose weight layers requantize straight into the next one's input: conv, relu6, max
   * pooling into a conv; that conv with batch norm and no relu, max pooling and flattening into a
   * dense layer; dense, relu, dense (the logits).
   */
  private static final ModelSpec CHAIN =
      ModelSpec.graph(
          List.of(
              conv("c0", 6, 3, 1, 1),
              of("relu6"),
              pool("maxPool", 2, 2),
              conv("c1", 5, 3, 1, 1),
              of("batchNorm"),
              pool("maxPool", 2, 2),
              of("flatten"),
              dense(7),
              of("relu"),
              dense(3)),
          8,
          8,
          2,
          3);

  @Test
  void matchesReferenceOnResidualDepthwiseGraph() throws OrtException {
    assertMatchesReference(RESIDUAL, new int[] {8, 4, 8}, new int[] {8, 4, 8}, 1);
  }

  @Test
  void matchesReferenceOnRequantizingChain() throws OrtException {
    // Sub-8-bit grids (the requantized output clipped to 2^b - 1, int8 weights) and W8A8 (8-bit
    // weights on 8-bit inputs: uint8 weights with zero point 128).
    assertMatchesReference(CHAIN, new int[] {8, 4, 3, 8}, new int[] {8, 4, 3, 8}, 4);
    assertMatchesReference(CHAIN, new int[] {8, 8, 8, 8}, new int[] {8, 8, 8, 8}, 5);
  }

  /**
   * Which weight layers requantize into the next one: only along a chain of single readers through
   * batch norm, relu, relu6 (where its clip is the grid's top), max pooling and flattening into a
   * weight layer; not into an add, from a value read twice, nor the logits.
   */
  @Test
  void requantizesOnlyAlongSingleReaderChains() {
    assertThat(fusedLayers(CHAIN, true)).isEqualTo(Map.of(0, 1, 1, 2, 2, 3));
    // relu6 clipping below the grid's top: its clip is not the quantizer's clamp.
    assertThat(fusedLayers(CHAIN, false)).isEqualTo(Map.of(1, 2, 2, 3));
    // c0's relu6 output is read by dw and by the add, dw's output by the add; dense is the logits.
    assertThat(fusedLayers(RESIDUAL, true)).isEmpty();
    // The first dense layer reads the image; it requantizes into the second through relu.
    assertThat(fusedLayers(POOLED_IMAGE, true)).isEqualTo(Map.of(0, 1));
    // c0 into c1 through relu; c1's output goes through a global average pool.
    assertThat(fusedLayers(GLOBAL_POOL, true)).isEqualTo(Map.of(0, 1));
  }

  /** Producer layer index to consumer layer index, as the writer plans it. */
  private static Map<Integer, Integer> fusedLayers(ModelSpec spec, boolean relu6IsGridTop) {
    LayerGraph graph = LayerGraph.of(spec);
    LayerGraphWriter.WeightLayers planner =
        new LayerGraphWriter.WeightLayers() {
          @Override
          public LayerGraphWriter.Value weightLayer(
              LayerShape layer, LayerGraphWriter.Value x, LayerShape requantizeFor) {
            throw new UnsupportedOperationException();
          }

          @Override
          public String batchNorm(LayerShape layer, String z) {
            throw new UnsupportedOperationException();
          }

          @Override
          public boolean requantizes() {
            return true;
          }

          @Override
          public boolean relu6IsGridTop(LayerShape consumer) {
            return relu6IsGridTop;
          }
        };
    Map<Integer, Integer> layers = new java.util.HashMap<>();
    LayerGraphWriter.fusedConsumers(graph, planner)
        .forEach(
            (node, consumer) ->
                layers.put(graph.nodes().get(node).layer().index(), consumer.index()));
    return layers;
  }

  @Test
  void matchesReferenceOnPooledImageBytes() throws OrtException {
    assertMatchesReference(POOLED_IMAGE, new int[] {8, 2}, new int[] {8, 3}, 2);
  }

  @Test
  void matchesReferenceOnGlobalPoolGraph() throws OrtException {
    assertMatchesReference(GLOBAL_POOL, new int[] {4, 8, 8}, new int[] {8, 2, 6}, 3);
  }

  private static void assertMatchesReference(
      ModelSpec spec, int[] weightBits, int[] inputBits, long seed) throws OrtException {
    Random r = new Random(seed);
    QuantizedModel model = randomModel(spec, weightBits, inputBits, r);
    int pixels = spec.inputHeight() * spec.inputWidth() * spec.inputChannels();
    byte[] images = new byte[SAMPLES * pixels];
    r.nextBytes(images);
    Dataset data =
        new Dataset(
            "hand",
            spec.inputHeight(),
            spec.inputWidth(),
            spec.inputChannels(),
            spec.numClasses(),
            images,
            new byte[SAMPLES]);
    float[][] ort;
    byte[] onnx = OnnxExporter.exportQuantized(model, Map.of());
    boolean fused =
        !LayerGraphWriter.fusedConsumers(
                LayerGraph.of(spec), new IntegerLayers(new OnnxGraph("plan"), null, model, true))
            .isEmpty();
    assertThat(
            new String(onnx, java.nio.charset.StandardCharsets.ISO_8859_1).contains("QLinearConv"))
        .as("QLinearConv in the file")
        .isEqualTo(fused);
    try (OrtRunner runner = new OrtRunner(onnx)) {
      ort = runner.logits(data);
    }
    double largest = 0;
    double spread = 0;
    for (int i = 0; i < SAMPLES; i++) {
      double[] expected =
          reference(model, java.util.Arrays.copyOfRange(images, i * pixels, (i + 1) * pixels));
      for (int c = 0; c < expected.length; c++) {
        largest = Math.max(largest, Math.abs(expected[c]));
        spread = Math.max(spread, Math.abs(ort[i][c] - ort[0][c]));
        assertThat((double) ort[i][c])
            .as("sample %d logit %d", i, c)
            .isCloseTo(expected[c], org.assertj.core.api.Assertions.within(1e-4));
      }
    }
    // The logits are not (near) zero and depend on the image (no hidden layer is dead), so the
    // comparison above tests the whole graph.
    System.out.printf(
        "%s: largest logit %.4f, spread %.4f%n",
        spec.layerSpecs().stream().map(LayerSpec::type).toList(), largest, spread);
    assertThat(largest).isGreaterThan(0.01);
    assertThat(spread).isGreaterThan(0.01);
  }

  /**
   * Random levels on each layer's weight grid (per channel where there are several channels),
   * random biases, steps chosen so that the values stay of order one and inputs use their grids.
   */
  private static QuantizedModel randomModel(
      ModelSpec spec, int[] weightBits, int[] inputBits, Random r) {
    List<QuantizedLayer> layers = new ArrayList<>();
    for (LayerShape s : LayerGraph.of(spec).layers()) {
      Granularity gran = s.index() % 2 == 0 ? Granularity.PER_CHANNEL : Granularity.PER_TENSOR;
      QuantSpec w = QuantSpec.weights(weightBits[s.index()], gran);
      byte[] levels = new byte[s.kernelSize()];
      for (int i = 0; i < levels.length; i++) {
        levels[i] = (byte) (w.qmin() + r.nextInt(w.qmax() - w.qmin() + 1));
      }
      float[] scales = new float[w.scaleCount(s.kernelShape())];
      for (int c = 0; c < scales.length; c++) {
        // Real weights up to about ±3.5/sqrt(fan-in): layer outputs of order one.
        scales[c] = (float) ((1 + r.nextFloat()) * 1.75 / (w.qmax() * Math.sqrt(s.fanIn())));
      }
      QuantSpec in = QuantSpec.unsignedActivations(inputBits[s.index()]);
      // Input range about [0, 2], the step not a multiple of the pixel step 1/255: pooled pixels
      // would sit exactly on rounding ties, which float32 (ONNX) and double (here) break apart.
      float inputScale = s.readsImage() ? 1f / 255 : 2.0137f / in.qmax();
      int[] bias = new int[s.outChannels()];
      for (int c = 0; c < bias.length; c++) {
        // A real bias in [-0.25, 0.25] on the accumulator's grid.
        double step = (double) inputScale * scales[scales.length == 1 ? 0 : c];
        bias[c] = (int) Math.rint((r.nextDouble() - 0.5) / 2 / step);
      }
      layers.add(
          new QuantizedLayer(
              s,
              new QuantizedTensor(s.kernelShape(), levels, scales, new int[scales.length], w),
              bias,
              inputScale,
              in));
    }
    return new QuantizedModel(spec, layers);
  }

  // ------------------------------------------------------------------- the reference, NHWC

  private static double[] reference(QuantizedModel model, byte[] image) {
    LayerGraph graph = LayerGraph.of(model.spec());
    double[] img = new double[image.length];
    for (int i = 0; i < img.length; i++) {
      img[i] = (image[i] & 0xff) / 255.0;
    }
    List<double[]> values = new ArrayList<>();
    for (LayerGraph.Node n : graph.nodes()) {
      double[] x = n.input() < 0 ? img : values.get(n.input());
      LayerGraph.TensorShape in = n.inShape();
      LayerGraph.TensorShape out = n.outShape();
      double[] y =
          switch (n.kind()) {
            case CONV2D, DENSE -> weightLayer(model.layers().get(n.layer().index()), x);
            case BATCH_NORM, FLATTEN -> x;
            case RELU -> map(x, v -> Math.max(0, v));
            case RELU6 -> map(x, v -> Math.min(6, Math.max(0, v)));
            case MAX_POOL, AVG_POOL -> pooled(x, in, out, n.size(), n.stride(), n.kind());
            case GLOBAL_AVG_POOL -> {
              double[] mean = new double[in.channels()];
              int positions = in.height() * in.width();
              for (int i = 0; i < x.length; i++) {
                mean[i % in.channels()] += x[i] / positions;
              }
              yield mean;
            }
            case ADD -> {
              double[] other = n.other() < 0 ? img : values.get(n.other());
              double[] sum = new double[x.length];
              for (int i = 0; i < x.length; i++) {
                sum[i] = x[i] + other[i];
              }
              yield sum;
            }
          };
      values.add(y);
    }
    return values.get(values.size() - 1);
  }

  private static double[] map(double[] x, java.util.function.DoubleUnaryOperator f) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = f.applyAsDouble(x[i]);
    }
    return y;
  }

  private static double[] pooled(
      double[] x,
      LayerGraph.TensorShape in,
      LayerGraph.TensorShape out,
      int size,
      int stride,
      LayerSpec.Kind kind) {
    int c = in.channels();
    double[] y = new double[out.elements()];
    for (int oh = 0; oh < out.height(); oh++) {
      for (int ow = 0; ow < out.width(); ow++) {
        for (int ch = 0; ch < c; ch++) {
          double acc = kind == LayerSpec.Kind.MAX_POOL ? Double.NEGATIVE_INFINITY : 0;
          for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
              double v = x[((oh * stride + i) * in.width() + ow * stride + j) * c + ch];
              acc = kind == LayerSpec.Kind.MAX_POOL ? Math.max(acc, v) : acc + v / (size * size);
            }
          }
          y[(oh * out.width() + ow) * c + ch] = acc;
        }
      }
    }
    return y;
  }

  /** Quantized input, int32 accumulation (long here, checked to fit), times the step. */
  private static double[] weightLayer(QuantizedLayer l, double[] x) {
    LayerShape s = l.shape();
    int qmax = l.inputSpec().qmax();
    long[] q = new long[x.length];
    for (int i = 0; i < x.length; i++) {
      q[i] =
          s.readsImage()
              ? Math.round(x[i] * 255)
              : (long) Math.min(qmax, Math.max(0, Math.rint(x[i] / l.inputScale())));
    }
    byte[] w = l.weights().levels();
    int cout = s.outChannels();
    int oh = s.conv() ? s.outHeight() : 1;
    int ow = s.conv() ? s.outWidth() : 1;
    double[] y = new double[oh * ow * cout];
    for (int r = 0; r < oh; r++) {
      for (int c = 0; c < ow; c++) {
        for (int o = 0; o < cout; o++) {
          long acc = l.bias()[o];
          if (s.conv()) {
            int cpg = s.channelsPerGroup();
            int first = (o / (cout / s.groups())) * cpg;
            for (int kh = 0; kh < s.kernel(); kh++) {
              for (int kw = 0; kw < s.kernel(); kw++) {
                int ih = r * s.stride() + kh - s.padding();
                int iw = c * s.stride() + kw - s.padding();
                if (ih < 0 || iw < 0 || ih >= s.height() || iw >= s.width()) {
                  continue;
                }
                for (int i = 0; i < cpg; i++) {
                  long v = q[(ih * s.width() + iw) * s.inChannels() + first + i];
                  acc += v * w[((kh * s.kernel() + kw) * cpg + i) * cout + o];
                }
              }
            }
          } else {
            for (int i = 0; i < s.inChannels(); i++) {
              acc += q[i] * w[i * cout + o];
            }
          }
          assertThat(acc).isBetween((long) Integer.MIN_VALUE, (long) Integer.MAX_VALUE);
          y[(r * ow + c) * cout + o] = acc * l.accumulatorScale(o);
        }
      }
    }
    return y;
  }
}
