package io.qatfleet.validator.service;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.core.quant.LayerQuantSpec;
import io.qatfleet.core.train.Distillation;
import io.qatfleet.core.train.TrainingSpec;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.Remedy;
import io.qatfleet.messaging.event.ThresholdResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the next round changes when a round misses its bar, chosen from the failed round's numbers
 * (docs/fleet.md, "The remedy policy"), without I/O. Four steps, each written into the remedy with
 * its reason:
 *
 * <ol>
 *   <li><b>Epochs.</b> A round that trained no epochs (post-training quantization) is followed by
 *       {@code max(1, training.qatEpochs)}. Otherwise, while the training loss was still falling in
 *       the round's last epoch (or the trend is unknown), the budget grows by {@code epochGrowth};
 *       capped at {@code maxEpochs}.
 *   <li><b>Learning rate.</b> A loss that had stopped falling (less than {@value #PLATEAU} relative
 *       change in the last epoch) keeps the epochs and halves the learning rate: more of the same
 *       steps would not help, smaller ones refine.
 *   <li><b>Distillation.</b> A miss of at least {@value #DISTILL_MISS} (half a point of accuracy)
 *       turns distillation from the float baseline on ({@link Distillation#DEFAULT_ALPHA}, {@link
 *       Distillation#DEFAULT_TEMPERATURE}); on stays on.
 *   <li><b>Bits.</b> With per-layer sensitivities and a {@code maxBits} allowance, a miss of at
 *       least {@value #BITS_MISS}, or any miss with distillation already on, raises the weight bits
 *       of the most sensitive layers below {@code maxBits} to the next width of {@link #WIDTHS}:
 *       one layer per {@value #BITS_MISS} of miss. Without sensitivities this step does nothing.
 * </ol>
 */
public final class RemedyPolicy {
  /** Relative change of the last epoch's mean loss below which the loss counts as flat. */
  public static final double PLATEAU = 0.01;

  /** Miss (in the metric's units) from which distillation is turned on. */
  public static final double DISTILL_MISS = 0.005;

  /** Miss per layer whose bits are raised. */
  public static final double BITS_MISS = 0.02;

  /** The weight widths bits are raised through. */
  public static final List<Integer> WIDTHS = List.of(2, 3, 4, 8);

  /**
   * Entry of a round's {@code calibrationMetrics}, forwarded by the quantizer from its training:
   * the relative change of the mean training loss from the second-to-last to the last epoch.
   */
  public static final String LAST_EPOCH_LOSS_CHANGE =
      QuantizedModelReady.TRAINING_PREFIX + FloatCheckpointReady.LAST_EPOCH_LOSS_CHANGE;

  private final int epochGrowth;
  private final int maxEpochs;

  /**
   * @param epochGrowth factor of a retrain round's epochs over the failed round's, at least 1
   * @param maxEpochs cap of a round's epoch budget, at least 1
   */
  public RemedyPolicy(int epochGrowth, int maxEpochs) {
    if (epochGrowth < 1) {
      throw new IllegalArgumentException("epochGrowth must be >= 1, was " + epochGrowth);
    }
    if (maxEpochs < 1) {
      throw new IllegalArgumentException("maxEpochs must be >= 1, was " + maxEpochs);
    }
    this.epochGrowth = epochGrowth;
    this.maxEpochs = maxEpochs;
  }

  /** The next round's epochs and learning rate, and the rest of the remedy. */
  public record Plan(int epochs, double learningRate, Remedy remedy) {}

  /**
   * The remedy for a failed round.
   *
   * @param spec the spec the failed round ran with: its {@code qatEpochs} and {@code
   *     qatLearningRate} are the round's (0 epochs for post-training quantization)
   * @param roundEpochs epochs the failed round trained
   * @param results the round's threshold results, at least one failed
   * @param roundMetrics the round's {@code calibrationMetrics}, with {@link
   *     #LAST_EPOCH_LOSS_CHANGE} when known
   * @param baseline the float baseline checkpoint, the teacher of a distilling round
   * @param sensitivities accuracy lost when only that layer is quantized, by layer index; may be
   *     empty
   * @param maxBits the most weight bits a layer may be raised to; null for no raising
   */
  public Plan plan(
      JobSpec spec,
      int roundEpochs,
      List<ThresholdResult> results,
      Map<String, Double> roundMetrics,
      CheckpointRef baseline,
      Map<Integer, Double> sensitivities,
      Integer maxBits) {
    TrainingSpec t = spec.training();
    List<String> changes = new ArrayList<>();
    double miss = miss(results);
    Double change = roundMetrics.get(LAST_EPOCH_LOSS_CHANGE);
    Boolean falling = change == null ? null : change < -PLATEAU;

    int epochs;
    double rate = t.qatLearningRate();
    if (roundEpochs == 0) {
      epochs = Math.min(maxEpochs, Math.max(1, t.qatEpochs()));
      changes.add("epochs 0 → " + epochs + ": the round trained none (post-training quantization)");
    } else if (Boolean.FALSE.equals(falling)) {
      epochs = roundEpochs;
      rate = t.qatLearningRate() / 2;
      changes.add(
          fmt(
              "learning rate %.3g → %.3g, epochs stay %d: the loss was flat (%+.1f %% in the last"
                  + " epoch)",
              t.qatLearningRate(), rate, epochs, 100 * change));
    } else {
      epochs = (int) Math.min(maxEpochs, (long) epochGrowth * roundEpochs);
      changes.add(
          "epochs "
              + roundEpochs
              + " → "
              + epochs
              + (epochs == roundEpochs ? " (the cap)" : "")
              + ": "
              + (falling == null
                  ? "the loss trend is unknown (fewer than two epochs)"
                  : fmt("the loss was still falling (%+.1f %% in the last epoch)", 100 * change)));
    }

    Distillation distillation = t.distillation();
    if (distillation == null && miss >= DISTILL_MISS) {
      distillation = new Distillation(null, null);
      changes.add(
          fmt(
              "distillation on (alpha %.2f, T %.1f) from the float baseline: missed the bar by"
                  + " %.4f",
              distillation.alpha(), distillation.temperature(), miss));
    }

    Map<String, Integer> raised =
        raiseBits(spec, sensitivities, maxBits, miss, t.distillation() != null, changes);
    return new Plan(
        epochs,
        rate,
        new Remedy(
            changes, miss, falling, distillation, distillation == null ? null : baseline, raised));
  }

  private static Map<String, Integer> raiseBits(
      JobSpec spec,
      Map<Integer, Double> sensitivities,
      Integer maxBits,
      double miss,
      boolean distilled,
      List<String> changes) {
    Map<String, Integer> out = new LinkedHashMap<>();
    if (sensitivities.isEmpty() || maxBits == null || (miss < BITS_MISS && !distilled)) {
      return out;
    }
    List<LayerQuantSpec> layers = spec.quantization().resolve(spec.model().layerCount());
    int wanted = Math.max(1, (int) Math.floor(miss / BITS_MISS));
    List<Map.Entry<Integer, Double>> bySensitivity =
        sensitivities.entrySet().stream()
            .filter(e -> e.getKey() >= 0 && e.getKey() < layers.size())
            .filter(e -> layers.get(e.getKey()).weights().bits() < maxBits)
            .sorted(
                Comparator.comparingDouble((Map.Entry<Integer, Double> e) -> -e.getValue())
                    .thenComparing(Map.Entry::getKey))
            .limit(wanted)
            .toList();
    for (Map.Entry<Integer, Double> e : bySensitivity) {
      int from = layers.get(e.getKey()).weights().bits();
      int to = WIDTHS.stream().filter(w -> w > from).findFirst().orElse(maxBits);
      to = Math.min(to, maxBits);
      out.put(Integer.toString(e.getKey()), to);
      changes.add(
          fmt(
              "layer %d weights %d → %d bits: the most sensitive layer left (%.4f accuracy lost"
                  + " quantized alone), within maxBits %d",
              e.getKey(), from, to, e.getValue(), maxBits));
    }
    return out;
  }

  /**
   * The largest shortfall over the failed thresholds, in the metric's units: below the minimum,
   * beyond the absolute drop, or beyond the relative drop (times the float value).
   */
  static double miss(List<ThresholdResult> results) {
    double miss = 0;
    for (ThresholdResult r : results) {
      if (r.passed()) {
        continue;
      }
      MetricThreshold t = r.threshold();
      double q = r.quantizedValue();
      double f = r.floatValue();
      if (t.min() != null) {
        miss = Math.max(miss, t.min() - q);
      }
      if (t.maxAbsDrop() != null) {
        miss = Math.max(miss, (f - q) - t.maxAbsDrop());
      }
      if (t.maxRelDrop() != null) {
        miss = Math.max(miss, (f - q) - t.maxRelDrop() * f);
      }
    }
    return miss;
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
