package io.qatfleet.core.onnx;

import static io.qatfleet.core.onnx.OnnxGraph.Attribute.real;

import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelGraph;
import io.qatfleet.core.model.ModelState;
import java.util.List;

/**
 * The weight layers of the float model: {@code Conv} (groups, strides, symmetric pads) or {@code
 * Gemm} with the float kernel and bias, and {@code BatchNormalization} with the moving statistics
 * (ε as in training).
 */
final class FloatLayers implements LayerGraphWriter.WeightLayers {
  private final OnnxGraph g;
  private final LayerGraphWriter writer;
  private final ModelState state;

  FloatLayers(OnnxGraph g, LayerGraphWriter writer, ModelState state) {
    this.g = g;
    this.writer = writer;
    this.state = state;
  }

  @Override
  public LayerGraphWriter.Value weightLayer(
      LayerShape l, LayerGraphWriter.Value x, LayerShape requantizeFor) {
    String p = "layer" + l.index() + ".";
    int cout = l.outChannels();
    float[] kernel = floats(l.name(ModelGraph.KERNEL), l.kernelSize());
    String bias = g.floats(p + "bias", new long[] {cout}, floats(l.name(ModelGraph.BIAS), cout));
    String out = "v/layer" + l.index();
    if (l.conv()) {
      int[] order = LayerGraphWriter.oihwOrder(l);
      float[] oihw = new float[kernel.length];
      for (int i = 0; i < oihw.length; i++) {
        oihw[i] = kernel[order[i]];
      }
      String w = g.floats(p + "kernel", LayerGraphWriter.oihwDims(l), oihw);
      g.node(
          "Conv",
          List.of(writer.floatOf(x), w, bias),
          List.of(out),
          LayerGraphWriter.convAttributes(l));
    } else {
      String w = g.floats(p + "kernel", new long[] {l.inChannels(), cout}, kernel);
      g.node("Gemm", List.of(writer.floatOf(x), w, bias), List.of(out));
    }
    return LayerGraphWriter.real(out);
  }

  @Override
  public String batchNorm(LayerShape l, String z) {
    String p = "layer" + l.index() + ".";
    int c = l.outChannels();
    long[] dims = {c};
    List<String> in =
        List.of(
            z,
            g.floats(p + "bn_gamma", dims, floats(l.name(ModelGraph.BN_GAMMA), c)),
            g.floats(p + "bn_beta", dims, floats(l.name(ModelGraph.BN_BETA), c)),
            g.floats(p + "bn_mean", dims, floats(l.name(ModelGraph.BN_MEAN), c)),
            g.floats(p + "bn_var", dims, floats(l.name(ModelGraph.BN_VAR), c)));
    String out = "v/layer" + l.index() + "/bn";
    g.node("BatchNormalization", in, List.of(out), real("epsilon", ModelGraph.BN_EPSILON));
    return out;
  }

  private float[] floats(String name, int count) {
    if (!state.has(name)) {
      throw new OnnxExportException("float model has no tensor '" + name + "'");
    }
    float[] v = state.floats(name);
    if (v.length != count) {
      throw new OnnxExportException(
          "tensor '" + name + "' has " + v.length + " values, the model spec needs " + count);
    }
    return v;
  }
}
