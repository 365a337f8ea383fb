package io.qatfleet.core.pipeline;

import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelGraph;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.core.quant.ModelQuantization;
import io.qatfleet.core.quant.QuantizationSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Per-layer sensitivity to quantization, measured directly: the model runs in float except one
 * layer, whose weights and input are fake-quantized with the state's step sizes; the drop in
 * accuracy and the rise in mean cross-entropy against the all-float model, on the first samples of
 * a split (the calibration split in the fleet), say how much that layer alone costs. This is the
 * definition the cheaper proxies (Hessian trace, Fisher information; HAWQ, Dong et al. 2019)
 * approximate; with at most a handful of layers and a few thousand samples the direct measurement
 * costs one inference pass per layer, so the proxy buys nothing here.
 */
public final class Sensitivity {
  /** Samples of the split the measurement runs on by default. */
  public static final int DEFAULT_SAMPLES = 2000;

  private Sensitivity() {}

  /** Accuracy and mean cross-entropy of the all-float model, the reference of every layer. */
  public record Reference(double accuracy, double meanLoss) {}

  /** The float model's accuracy and loss on the first {@code samples} of {@code data}. */
  public static Reference reference(ModelSpec model, ModelState state, Dataset data, int samples) {
    try (ModelGraph g = ModelGraph.build(ModelGraph.Config.inference(model, null), state)) {
      return reference(g.score(data, samples), data);
    }
  }

  /**
   * One entry per layer of {@code model}: only that layer quantized as {@code quantization} says,
   * with the step sizes (and clipping values) in {@code state}.
   */
  public static List<LayerSensitivity> measure(
      ModelSpec model,
      ModelQuantization quantization,
      ModelState state,
      Dataset data,
      int samples) {
    Reference reference = reference(model, state, data, samples);
    List<LayerSensitivity> out = new ArrayList<>();
    for (LayerShape l : LayerShape.of(model)) {
      out.add(layer(model, quantization, l.index(), state, data, samples, reference));
    }
    return out;
  }

  /** Layer {@code layer} alone quantized, against {@code reference}. */
  public static LayerSensitivity layer(
      ModelSpec model,
      ModelQuantization quantization,
      int layer,
      ModelState state,
      Dataset data,
      int samples,
      Reference reference) {
    Reference quantized;
    ModelGraph.Config config = ModelGraph.Config.inference(model, quantization.onlyLayer(layer));
    try (ModelGraph g = ModelGraph.build(config, state)) {
      quantized = reference(g.score(data, samples), data);
    }
    return new LayerSensitivity(
        layer,
        model.graph().label(layer),
        quantization.layers().get(layer).weights().bits(),
        reference.accuracy() - quantized.accuracy(),
        quantized.meanLoss() - reference.meanLoss());
  }

  /**
   * The table the automatic mixed-precision search reads: for every width of {@code bits}, the
   * sensitivity of every layer of {@code pipeline}'s model at that weight width (activations as the
   * job's spec says), from the float baseline {@code floatState}, with weight step sizes from the
   * job's observer at that width. Entries are ordered by width, then layer.
   */
  public static List<LayerSensitivity> table(
      QatPipeline pipeline, ModelState floatState, List<Integer> bits, int samples) {
    JobSpec job = pipeline.job();
    ModelSpec model = job.model();
    Dataset data = pipeline.data().calibration();
    Reference reference = reference(model, floatState, data, samples);
    List<LayerSensitivity> out = new ArrayList<>();
    for (int b : bits) {
      int[] uniform = new int[model.layerCount()];
      Arrays.fill(uniform, b);
      // A measurement, not a model to ship: the budget bounds the choice, not this probe.
      QuantizationSpec q = job.quantization();
      QuantizationSpec atWidth =
          q.withBits(b, q.activationBits()).withLayerWeightBits(uniform).withBudget(null);
      QatPipeline at = new QatPipeline(job.withQuantization(atWidth), pipeline.data());
      ModelState state = at.initQuantization(floatState);
      for (int layer = 0; layer < model.layerCount(); layer++) {
        out.add(layer(model, at.quantization(), layer, state, data, samples, reference));
      }
    }
    return out;
  }

  private static Reference reference(ModelGraph.Scores scores, Dataset data) {
    int[] labels = data.labelsAsInts();
    int n = scores.predictions().length;
    int correct = 0;
    for (int i = 0; i < n; i++) {
      if (scores.predictions()[i] == labels[i]) {
        correct++;
      }
    }
    return new Reference(n == 0 ? 0 : (double) correct / n, scores.meanLoss());
  }
}
