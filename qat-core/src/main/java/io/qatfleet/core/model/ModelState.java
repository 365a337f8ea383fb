package io.qatfleet.core.model;

import io.qatfleet.core.checkpoint.TensorData;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The values of a model's variables by name ({@code layer0.kernel}, {@code layer1.in_scale}, …):
 * what moves between training phases, services and checkpoints. Float32 tensors only; the integer
 * model after projection is a {@link io.qatfleet.core.infer.QuantizedModel}.
 */
public record ModelState(Map<String, TensorData> tensors) {
  public ModelState {
    tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
  }

  public boolean has(String name) {
    return tensors.containsKey(name);
  }

  public TensorData tensor(String name) {
    TensorData t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException(
          "model state has no tensor '" + name + "'; present: " + new TreeSet<>(tensors.keySet()));
    }
    return t;
  }

  public float[] floats(String name) {
    return tensor(name).floats();
  }

  /** A copy with {@code name} set (added or replaced). */
  public ModelState with(String name, long[] shape, float[] values) {
    Map<String, TensorData> copy = new LinkedHashMap<>(tensors);
    copy.put(name, TensorData.ofFloats(shape, values));
    return new ModelState(copy);
  }
}
