package io.qatfleet.core.model;

import io.qatfleet.core.checkpoint.TensorData;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded initial float weights: He-normal kernels (std sqrt(2/fan_in), suited to ReLU), zero
 * biases, and the identity for batch norm. Generated in Java so that a seed gives the same model in
 * every process.
 */
public final class ModelInit {
  private ModelInit() {}

  public static ModelState initialState(ModelSpec spec, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, TensorData> out = new LinkedHashMap<>();
    for (LayerShape l : LayerShape.of(spec)) {
      double std = Math.sqrt(2.0 / l.fanIn());
      float[] kernel = new float[l.kernelSize()];
      for (int i = 0; i < kernel.length; i++) {
        kernel[i] = (float) (gaussian(random) * std);
      }
      long[] channels = {l.outChannels()};
      out.put(l.name(ModelGraph.KERNEL), TensorData.ofFloats(l.kernelShape(), kernel));
      out.put(l.name(ModelGraph.BIAS), TensorData.ofFloats(channels, new float[l.outChannels()]));
      if (l.batchNorm()) {
        float[] ones = new float[l.outChannels()];
        Arrays.fill(ones, 1f);
        out.put(l.name(ModelGraph.BN_GAMMA), TensorData.ofFloats(channels, ones));
        out.put(
            l.name(ModelGraph.BN_BETA), TensorData.ofFloats(channels, new float[l.outChannels()]));
        out.put(
            l.name(ModelGraph.BN_MEAN), TensorData.ofFloats(channels, new float[l.outChannels()]));
        out.put(l.name(ModelGraph.BN_VAR), TensorData.ofFloats(channels, ones));
      }
    }
    return new ModelState(out);
  }

  /**
   * Box-Muller (the cosine half, two uniform draws per sample), not {@code nextGaussian}: Java 17's
   * SplittableRandom has one (from RandomGenerator), but its ziggurat method would draw different
   * weights from the same seed, changing every initial model, and every result, recorded so far.
   */
  private static double gaussian(SplittableRandom random) {
    double u1 = 1.0 - random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
