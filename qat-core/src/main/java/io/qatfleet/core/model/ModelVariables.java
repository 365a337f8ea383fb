package io.qatfleet.core.model;

import static io.qatfleet.core.model.ModelGraph.BIAS;
import static io.qatfleet.core.model.ModelGraph.BN_BETA;
import static io.qatfleet.core.model.ModelGraph.BN_GAMMA;
import static io.qatfleet.core.model.ModelGraph.BN_MEAN;
import static io.qatfleet.core.model.ModelGraph.BN_VAR;
import static io.qatfleet.core.model.ModelGraph.IN_ALPHA;
import static io.qatfleet.core.model.ModelGraph.IN_SCALE;
import static io.qatfleet.core.model.ModelGraph.KERNEL;
import static io.qatfleet.core.model.ModelGraph.W_SCALE;

import io.qatfleet.core.checkpoint.TensorData;
import io.qatfleet.core.quant.LayerQuantSpec;
import io.qatfleet.core.quant.ModelQuantization;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.train.Trainable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The variables of one {@link ModelGraph}, by their {@link ModelState} names ({@code
 * layer0.kernel}, {@code layer1.in_scale}, …), with what it takes to move values in and out: a
 * placeholder and an assign op per variable for {@link #load}, and the value the layers compute
 * with. Step sizes and clipping values are held as natural logarithms and used as {@code exp(θ)}
 * (see {@link ModelGraph}); {@link #load} takes logarithms of the state's values and {@link
 * #export} fetches the exponentials, so a {@link ModelState} always holds the values themselves.
 */
final class ModelVariables {
  private final Map<String, Variable<TFloat32>> variables = new LinkedHashMap<>();
  private final Map<String, Operand<TFloat32>> values = new LinkedHashMap<>();
  private final Map<String, Placeholder<TFloat32>> loadFeeds = new LinkedHashMap<>();
  private final List<Op> loadOps = new ArrayList<>();

  /**
   * Creates, layer by layer, the kernel, bias, batch-norm parameters where the layer has batch
   * norm, and for a quantized graph the weight step sizes and the input step size (or PACT clipping
   * value) of every layer that does not read the image.
   */
  ModelVariables(Ops tf, List<LayerShape> layers, ModelQuantization quantization) {
    for (LayerShape l : layers) {
      create(tf, l.name(KERNEL), l.kernelShape());
      create(tf, l.name(BIAS), new long[] {l.outChannels()});
      if (l.batchNorm()) {
        for (String name : List.of(BN_GAMMA, BN_BETA, BN_MEAN, BN_VAR)) {
          create(tf, l.name(name), new long[] {l.outChannels()});
        }
      }
      if (quantization != null) {
        LayerQuantSpec spec = quantization.layers().get(l.index());
        create(tf, l.name(W_SCALE), new long[] {spec.weights().scaleCount(l.kernelShape())});
        if (!l.readsImage()) {
          String input = quantization.method() == QatMethod.LSQ_PACT ? IN_ALPHA : IN_SCALE;
          create(tf, l.name(input), new long[0]);
        }
      }
    }
  }

  private void create(Ops tf, String name, long[] shape) {
    Shape s = Shape.of(shape);
    Variable<TFloat32> v = tf.withName(name).variable(s, TFloat32.class);
    Placeholder<TFloat32> feed =
        tf.withName(name + "-load").placeholder(TFloat32.class, Placeholder.shape(s));
    variables.put(name, v);
    values.put(name, isQuantParameter(name) ? tf.math.exp(v) : v);
    loadFeeds.put(name, feed);
    loadOps.add(tf.assign(v, feed));
  }

  /** The value layer {@code l} computes with: the variable, or {@code exp} of it. */
  Operand<TFloat32> value(LayerShape l, String kind) {
    return values.get(l.name(kind));
  }

  /** The variable itself, for ops that assign to it. */
  Variable<TFloat32> variable(LayerShape l, String kind) {
    return variables.get(l.name(kind));
  }

  /** The variable named {@code name} ({@code layer0.kernel}), for tests. */
  Variable<TFloat32> named(String name) {
    Variable<TFloat32> v = variables.get(name);
    if (v == null) {
      throw new IllegalArgumentException(
          "no variable " + name + "; present: " + variables.keySet());
    }
    return v;
  }

  /** Whether {@code name} is a step size or clipping value, held as its logarithm. */
  static boolean isQuantParameter(String name) {
    String kind = name.substring(name.indexOf('.') + 1);
    return kind.equals(W_SCALE) || kind.equals(IN_SCALE) || kind.equals(IN_ALPHA);
  }

  /**
   * The variables the optimizer updates, in creation order: kernels, biases and batch-norm scale
   * and offset for {@link Trainable#WEIGHTS}; step sizes and clipping values for {@link
   * Trainable#QUANT_PARAMS} when the method learns them; both for {@link Trainable#ALL}. Moving
   * statistics are never trained.
   */
  List<Variable<TFloat32>> trainable(Trainable trainable, ModelQuantization quantization) {
    List<Variable<TFloat32>> out = new ArrayList<>();
    boolean weights = trainable == Trainable.WEIGHTS || trainable == Trainable.ALL;
    boolean quant =
        (trainable == Trainable.QUANT_PARAMS || trainable == Trainable.ALL)
            && quantization != null
            && quantization.learnsParameters();
    for (Map.Entry<String, Variable<TFloat32>> e : variables.entrySet()) {
      String kind = e.getKey().substring(e.getKey().indexOf('.') + 1);
      boolean isWeight =
          kind.equals(KERNEL) || kind.equals(BIAS) || kind.equals(BN_GAMMA) || kind.equals(BN_BETA);
      boolean isQuant = isQuantParameter(e.getKey());
      if ((weights && isWeight) || (quant && isQuant)) {
        out.add(e.getValue());
      }
    }
    return out;
  }

  /**
   * Sets every variable from {@code state} in one run; tensors without a variable are ignored. A
   * missing or misshapen tensor, or a step size that is not finite and positive, is an error naming
   * it.
   */
  void load(Session session, ModelState state) {
    List<String> missing = new ArrayList<>();
    for (String name : variables.keySet()) {
      if (!state.has(name)) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(
          "model state lacks " + missing + "; present: " + new TreeSet<>(state.tensors().keySet()));
    }
    List<TFloat32> tensors = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      for (Map.Entry<String, Variable<TFloat32>> e : variables.entrySet()) {
        TensorData data = state.tensor(e.getKey());
        long[] expected = e.getValue().shape().asArray();
        if (!Arrays.equals(expected, data.shape())) {
          throw new IllegalArgumentException(
              e.getKey()
                  + ": shape "
                  + Arrays.toString(data.shape())
                  + " does not match the model's "
                  + Arrays.toString(expected));
        }
        float[] v = data.floats();
        if (isQuantParameter(e.getKey())) {
          v = logarithms(e.getKey(), v);
        }
        TFloat32 t = TFloat32.tensorOf(Shape.of(expected), DataBuffers.of(v, true, false));
        tensors.add(t);
        runner.feed(loadFeeds.get(e.getKey()), t);
      }
      loadOps.forEach(runner::addTarget);
      runner.run().close();
    } finally {
      tensors.forEach(TFloat32::close);
    }
  }

  private static float[] logarithms(String name, float[] v) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      if (!(v[i] > 0) || Float.isInfinite(v[i])) {
        throw new IllegalArgumentException(
            name
                + "["
                + i
                + "]: step sizes and clipping values must be finite and > 0, got "
                + v[i]);
      }
      out[i] = (float) Math.log(v[i]);
    }
    return out;
  }

  /** Every variable's current value, fetched in one run, in creation order. */
  ModelState export(Session session) {
    Session.Runner runner = session.runner();
    values.values().forEach(runner::fetch);
    Map<String, TensorData> out = new LinkedHashMap<>();
    try (Result result = runner.run()) {
      int i = 0;
      for (String name : variables.keySet()) {
        TFloat32 t = (TFloat32) result.get(i++);
        out.put(name, TensorData.ofFloats(t.shape().asArray(), ModelGraph.toArray(t)));
      }
    }
    return new ModelState(out);
  }
}
