package io.qatfleet.core.precision;

import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.core.quant.QuantizationBudget;
import io.qatfleet.core.quant.QuantizationSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Automatic mixed precision: per-layer weight bits that fit a {@link QuantizationBudget} at the
 * least predicted cost, the predicted cost of an assignment being the sum of its layers' measured
 * loss increases ({@link LayerSensitivity#lossIncrease()}, each layer quantized alone; the additive
 * model of HAWQ-V3, Yao et al. 2021, with measured instead of Hessian-estimated terms). Loss rather
 * than accuracy because it moves smoothly where a few thousand calibration samples leave accuracy
 * drops at the noise floor. Ties go to the smaller model.
 *
 * <p>With few layers ({@value #EXHAUSTIVE_LIMIT} assignments or fewer) every assignment is tried,
 * which is exact; beyond, a greedy descent starts every free layer at its widest width and lowers,
 * one step at a time, the layer with the least added cost per unit of budget excess removed, then
 * raises layers again while the budget allows (best cost saving first).
 */
public final class MixedPrecision {
  /** Most assignments the exact search tries (4 widths: up to 10 free layers). */
  public static final long EXHAUSTIVE_LIMIT = 1L << 20;

  private MixedPrecision() {}

  /** The chosen bits per layer, what they cost, the predicted loss increase, and how found. */
  public record Choice(
      int[] bits, double bytes, double bitOps, double predictedLossIncrease, String search) {
    public double kib() {
      return bytes / 1024.0;
    }
  }

  /**
   * The widths layer {@code i} may take: its own override where the spec pins one, else the
   * automatic widths up to {@link QuantizationSpec#bitsAllowance()}.
   */
  public static List<List<Integer>> allowed(QuantizationSpec spec, int layerCount) {
    List<List<Integer>> out = new ArrayList<>();
    List<Integer> free =
        QuantizationSpec.AUTO_CANDIDATE_BITS.stream()
            .filter(b -> b <= spec.bitsAllowance())
            .toList();
    for (int i = 0; i < layerCount; i++) {
      QuantizationSpec.LayerBits pinned = spec.layers().get(Integer.toString(i));
      out.add(pinned != null && pinned.weightBits() != null ? List.of(pinned.weightBits()) : free);
    }
    return out;
  }

  /**
   * The narrowest bits the spec allows per layer: for an automatic spec each layer's narrowest
   * allowed width, else the spec's own resolved weight bits.
   */
  public static int[] smallest(QuantizationSpec spec, int layerCount) {
    int[] out = new int[layerCount];
    if (spec.autoBits()) {
      List<List<Integer>> allowed = allowed(spec, layerCount);
      for (int i = 0; i < layerCount; i++) {
        out[i] = allowed.get(i).get(0);
      }
      return out;
    }
    for (int i = 0; i < layerCount; i++) {
      out[i] = spec.resolve(layerCount).get(i).weights().bits();
    }
    return out;
  }

  /**
   * The best assignment for {@code spec}'s budget from {@code table} (entries for every layer at
   * every allowed width), exact when small enough, greedy otherwise.
   *
   * @throws IllegalArgumentException if the table lacks an entry or no assignment fits
   */
  public static Choice choose(
      QuantizationSpec spec, PrecisionCost cost, List<LayerSensitivity> table) {
    List<List<Integer>> allowed = allowed(spec, cost.layers().size());
    long combinations = 1;
    for (List<Integer> widths : allowed) {
      combinations = Math.min(Long.MAX_VALUE / 8, combinations * widths.size());
    }
    return combinations <= EXHAUSTIVE_LIMIT
        ? exhaustive(allowed, cost, spec.budget(), table)
        : greedy(allowed, cost, spec.budget(), table);
  }

  /** Tries every assignment. */
  public static Choice exhaustive(
      List<List<Integer>> allowed,
      PrecisionCost cost,
      QuantizationBudget budget,
      List<LayerSensitivity> table) {
    double[][] score = scores(allowed, table);
    int n = allowed.size();
    int[] index = new int[n];
    int[] bits = new int[n];
    int[] best = null;
    double bestScore = Double.POSITIVE_INFINITY;
    double bestBytes = Double.POSITIVE_INFINITY;
    while (true) {
      double s = 0;
      for (int i = 0; i < n; i++) {
        bits[i] = allowed.get(i).get(index[i]);
        s += score[i][index[i]];
      }
      if (cost.fits(budget, bits)) {
        double bytes = cost.bytes(bits);
        if (s < bestScore - 1e-12 || (Math.abs(s - bestScore) <= 1e-12 && bytes < bestBytes)) {
          best = bits.clone();
          bestScore = s;
          bestBytes = bytes;
        }
      }
      int i = 0;
      while (i < n && ++index[i] == allowed.get(i).size()) {
        index[i] = 0;
        i++;
      }
      if (i == n) {
        break;
      }
    }
    return choice(best, cost, bestScore, "exhaustive", budget);
  }

  /** Greedy descent from the widest widths, then greedy ascent within the budget. */
  public static Choice greedy(
      List<List<Integer>> allowed,
      PrecisionCost cost,
      QuantizationBudget budget,
      List<LayerSensitivity> table) {
    double[][] score = scores(allowed, table);
    int n = allowed.size();
    int[] index = new int[n];
    for (int i = 0; i < n; i++) {
      index[i] = allowed.get(i).size() - 1;
    }
    int[] bits = bitsOf(allowed, index);
    while (!cost.fits(budget, bits)) {
      int pick = -1;
      double pickRatio = Double.POSITIVE_INFINITY;
      double excess = excess(cost, budget, bits);
      for (int i = 0; i < n; i++) {
        if (index[i] == 0) {
          continue;
        }
        int[] lower = bits.clone();
        lower[i] = allowed.get(i).get(index[i] - 1);
        double removed = excess - excess(cost, budget, lower);
        if (removed <= 0) {
          continue;
        }
        double ratio = (score[i][index[i] - 1] - score[i][index[i]]) / removed;
        if (ratio < pickRatio) {
          pickRatio = ratio;
          pick = i;
        }
      }
      if (pick < 0) {
        return choice(null, cost, 0, "greedy", budget);
      }
      index[pick]--;
      bits = bitsOf(allowed, index);
    }
    boolean raised = true;
    while (raised) {
      raised = false;
      int pick = -1;
      double pickSaving = 1e-12;
      for (int i = 0; i < n; i++) {
        if (index[i] == allowed.get(i).size() - 1) {
          continue;
        }
        int[] higher = bits.clone();
        higher[i] = allowed.get(i).get(index[i] + 1);
        double saving = score[i][index[i]] - score[i][index[i] + 1];
        if (saving > pickSaving && cost.fits(budget, higher)) {
          pickSaving = saving;
          pick = i;
        }
      }
      if (pick >= 0) {
        index[pick]++;
        bits = bitsOf(allowed, index);
        raised = true;
      }
    }
    double total = 0;
    for (int i = 0; i < n; i++) {
      total += score[i][index[i]];
    }
    return choice(bits, cost, total, "greedy", budget);
  }

  /** How far over the budget, each bound relative to itself (0 when it fits). */
  private static double excess(PrecisionCost cost, QuantizationBudget budget, int[] bits) {
    double e = 0;
    if (budget.sizeKiB() != null) {
      e += Math.max(0, cost.bytes(bits) / 1024.0 / budget.sizeKiB() - 1);
    }
    if (budget.bitOps() != null) {
      e += Math.max(0, cost.bitOps(bits) / budget.bitOps() - 1);
    }
    return e;
  }

  private static int[] bitsOf(List<List<Integer>> allowed, int[] index) {
    int[] out = new int[index.length];
    for (int i = 0; i < index.length; i++) {
      out[i] = allowed.get(i).get(index[i]);
    }
    return out;
  }

  private static Choice choice(
      int[] bits, PrecisionCost cost, double score, String search, QuantizationBudget budget) {
    if (bits == null) {
      throw new IllegalArgumentException(
          "quantization.budget: no assignment of the allowed widths fits " + budget);
    }
    return new Choice(bits, cost.bytes(bits), cost.bitOps(bits), score, search);
  }

  /** score[i][k]: loss increase of layer i at its k-th allowed width. */
  private static double[][] scores(List<List<Integer>> allowed, List<LayerSensitivity> table) {
    Map<Long, LayerSensitivity> byKey = new HashMap<>();
    for (LayerSensitivity s : table) {
      byKey.put(key(s.layer(), s.bits()), s);
    }
    double[][] out = new double[allowed.size()][];
    for (int i = 0; i < allowed.size(); i++) {
      List<Integer> widths = allowed.get(i);
      out[i] = new double[widths.size()];
      for (int k = 0; k < widths.size(); k++) {
        if (widths.size() == 1) {
          continue; // a pinned layer: its cost is the same in every assignment
        }
        LayerSensitivity s = byKey.get(key(i, widths.get(k)));
        if (s == null) {
          throw new IllegalArgumentException(
              "sensitivity table has no entry for layer " + i + " at " + widths.get(k) + " bits");
        }
        out[i][k] = s.lossIncrease();
      }
    }
    return out;
  }

  private static long key(int layer, int bits) {
    return ((long) layer << 8) | bits;
  }

  /** {@code bits} as text, e.g. {@code [8, 3, 2, 8]}. */
  public static String describe(int[] bits) {
    return Arrays.toString(bits);
  }
}
