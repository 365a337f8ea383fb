package io.qatfleet.messaging.event;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.quant.QuantSpec;
import io.qatfleet.core.train.Distillation;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a send-back changes for the next round beyond its epochs and learning rate (which {@link
 * RetrainRequested} carries), and why: chosen by the validator's remedy policy from the failed
 * round's metrics (docs/fleet.md, "The remedy policy"), applied by the trainer to the next round.
 * Every bound is checked here, since a remedy arrives over the wire; the trainer also checks the
 * spec it makes from it against its job budget.
 *
 * @param changes one line per change with its reason, e.g. "epochs 1 → 2: loss still falling (−8.1
 *     % in the last epoch)"; at least one
 * @param miss how far the failed round was from its bar: the largest shortfall over the failed
 *     thresholds, in the metric's units (0.031 = 3.1 points of accuracy)
 * @param lossFalling whether the failed round's training loss still fell in its last epoch; null
 *     when that is unknown (a round of fewer than two epochs)
 * @param distillation distillation of the next round; null for none
 * @param teacher the float baseline checkpoint to distil from; present exactly when {@code
 *     distillation} is
 * @param weightBits weight bits of the next round for the layers it raises, by layer index ("1");
 *     empty when none is raised
 */
public record Remedy(
    List<String> changes,
    double miss,
    Boolean lossFalling,
    Distillation distillation,
    CheckpointRef teacher,
    Map<String, Integer> weightBits) {

  /** Lines in {@link #changes()}, and characters in each: bounds on a hostile remedy. */
  public static final int MAX_CHANGES = 16;

  public static final int MAX_CHANGE_LENGTH = 500;

  /** Layers a remedy may name: more than any model the budget admits. */
  public static final int MAX_LAYERS = 64;

  public Remedy {
    changes = Require.list("changes", changes);
    if (changes.isEmpty() || changes.size() > MAX_CHANGES) {
      throw new IllegalArgumentException(
          "changes must have 1.." + MAX_CHANGES + " lines, had " + changes.size());
    }
    for (int i = 0; i < changes.size(); i++) {
      String line = changes.get(i);
      if (line.isBlank() || line.length() > MAX_CHANGE_LENGTH) {
        throw new IllegalArgumentException(
            "changes["
                + i
                + "] must be 1.."
                + MAX_CHANGE_LENGTH
                + " characters, had "
                + line.length());
      }
    }
    if (!(miss >= 0) || !Double.isFinite(miss)) {
      throw new IllegalArgumentException("miss must be finite and >= 0, was " + miss);
    }
    if (distillation != null) {
      List<String> problems = distillation.violations("distillation");
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(String.join("; ", problems));
      }
    }
    if ((distillation == null) != (teacher == null)) {
      throw new IllegalArgumentException(
          "teacher must be present exactly when distillation is, was "
              + (teacher == null ? "absent" : "present")
              + " with distillation "
              + (distillation == null ? "off" : "on"));
    }
    weightBits = bits(weightBits == null ? Map.of() : weightBits);
  }

  /**
   * The spec the next round runs with: {@code spec} (the failed round's) with the next round's
   * epochs and learning rate as its QAT budget, this remedy's distillation, and its raised weight
   * bits as per-layer overrides ({@code quantization.layers}). The result may be invalid or over a
   * trainer's budget (a layer the model does not have): the trainer checks it before training.
   */
  public JobSpec applyTo(JobSpec spec, int epochs, double learningRate) {
    return spec.with(
        spec.quantization().withLayerWeightBits(weightBits),
        spec.training().withQat(epochs, learningRate, distillation));
  }

  private static Map<String, Integer> bits(Map<String, Integer> value) {
    if (value.size() > MAX_LAYERS) {
      throw new IllegalArgumentException(
          "weightBits must name at most " + MAX_LAYERS + " layers, named " + value.size());
    }
    TreeMap<String, Integer> copy = new TreeMap<>();
    value.forEach(
        (layer, bits) -> {
          int index;
          try {
            index = Integer.parseInt(layer);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                "weightBits keys must be layer indices, was '" + layer + "'");
          }
          if (index < 0 || index >= MAX_LAYERS) {
            throw new IllegalArgumentException(
                "weightBits['" + layer + "']: no layer index is outside 0.." + (MAX_LAYERS - 1));
          }
          if (bits == null || bits < QuantSpec.MIN_BITS || bits > QuantSpec.MAX_BITS) {
            throw new IllegalArgumentException(
                "weightBits['"
                    + layer
                    + "'] must be in "
                    + QuantSpec.MIN_BITS
                    + ".."
                    + QuantSpec.MAX_BITS
                    + ", was "
                    + bits);
          }
          copy.put(Integer.toString(index), bits);
        });
    return Collections.unmodifiableMap(copy);
  }
}
