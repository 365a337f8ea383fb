package io.qatfleet.core.precision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.core.quant.QuantizationBudget;
import io.qatfleet.core.quant.QuantizationSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The search on hand-made tables. Three layers of 1000, 1000 and 100 weights, no biases, 8-bit
 * inputs; loss increases by layer and width below. With the size of uniform 3-bit weights (6300
 * bits), by the width of layer 2: at 8 bits (800) b0 + b1 <= 5.5, best (3, 2) = 0.30; at 4 bits b0
 * + b1 <= 5.9, best (3, 2) + 0.02 = 0.32; at 3 bits (300) b0 + b1 <= 6, best (4, 2) = 0.15 + 0.10 =
 * 0.25; at 2 bits (4, 2) + 0.30 = 0.45. The optimum is (4, 2, 3) at 0.25, where uniform 3 bits
 * scores 0.34.
 */
class MixedPrecisionTest {
  private static final PrecisionCost COST =
      PrecisionCost.ofLayers(
          List.of(
              new PrecisionCost.Layer(1000, 0, 1000, 8),
              new PrecisionCost.Layer(1000, 0, 1000, 8),
              new PrecisionCost.Layer(100, 0, 100, 8)));
  private static final double[][] LOSS = {
    {0.50, 0.20, 0.05, 0.00}, {0.10, 0.04, 0.01, 0.00}, {0.30, 0.10, 0.02, 0.00}
  };
  private static final List<Integer> WIDTHS = QuantizationSpec.AUTO_CANDIDATE_BITS;

  private static List<LayerSensitivity> table(double[][] loss) {
    List<LayerSensitivity> out = new ArrayList<>();
    for (int layer = 0; layer < loss.length; layer++) {
      for (int k = 0; k < WIDTHS.size(); k++) {
        out.add(
            new LayerSensitivity(
                layer, "layer" + layer, WIDTHS.get(k), loss[layer][k], loss[layer][k]));
      }
    }
    return out;
  }

  private static QuantizationSpec auto(QuantizationBudget budget) {
    return QuantizationSpec.auto(8, budget);
  }

  private static QuantizationBudget kib(double bits) {
    return new QuantizationBudget(bits / 8 / 1024, null);
  }

  @Test
  void exhaustivePicksHandDerivedOptimumAtUniformThreeBitSize() {
    MixedPrecision.Choice c = MixedPrecision.choose(auto(kib(6300)), COST, table(LOSS));
    assertThat(c.bits()).containsExactly(4, 2, 3);
    assertThat(c.predictedLossIncrease())
        .isCloseTo(0.25, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(c.search()).isEqualTo("exhaustive");
    assertThat(c.bytes()).isLessThanOrEqualTo(6300 / 8.0);
  }

  @Test
  void greedyAgreesWithExhaustiveOnSmallCases() {
    List<List<Integer>> allowed = List.of(WIDTHS, WIDTHS, WIDTHS);
    for (double bits : new double[] {2100 * 2, 6300, 2100 * 4, 9000, 2100 * 8}) {
      QuantizationBudget budget = kib(bits);
      MixedPrecision.Choice exact = MixedPrecision.exhaustive(allowed, COST, budget, table(LOSS));
      MixedPrecision.Choice greedy = MixedPrecision.greedy(allowed, COST, budget, table(LOSS));
      assertThat(greedy.bits()).as("budget %s bits", bits).containsExactly(exact.bits());
    }
  }

  @Test
  void respectsSizeAndBitOpsBudgets() {
    QuantizationBudget both = new QuantizationBudget(5000 / 8.0 / 1024, 2100 * 8 * 3.0);
    MixedPrecision.Choice c = MixedPrecision.choose(auto(both), COST, table(LOSS));
    assertThat(COST.bytes(c.bits()) * 8).isLessThanOrEqualTo(5000);
    assertThat(COST.bitOps(c.bits())).isLessThanOrEqualTo(2100 * 8 * 3.0);
  }

  @Test
  void keepsWidthsWithinMaxBitsAndPinnedLayers() {
    QuantizationSpec capped =
        new QuantizationSpec(
            QuantizationSpec.AUTO,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            4,
            kib(100_000));
    assertThat(MixedPrecision.choose(capped, COST, table(LOSS)).bits()).containsExactly(4, 4, 4);
    QuantizationSpec pinned =
        new QuantizationSpec(
            QuantizationSpec.AUTO,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            Map.of("2", new QuantizationSpec.LayerBits(2, null)),
            null,
            kib(6300));
    // Layer 2 pinned at 2 bits (200 bits): b0 + b1 <= 6.1, best (4, 2): 0.05 + 0.10.
    assertThat(MixedPrecision.choose(pinned, COST, table(LOSS)).bits()).containsExactly(4, 2, 2);
  }

  @Test
  void refusesBudgetNoAssignmentFits() {
    assertThatThrownBy(() -> MixedPrecision.choose(auto(kib(2000)), COST, table(LOSS)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("quantization.budget");
  }

  @Test
  void refusesTableWithoutEntryForAllowedWidth() {
    List<LayerSensitivity> partial = new ArrayList<>(table(LOSS));
    partial.remove(0);
    assertThatThrownBy(() -> MixedPrecision.choose(auto(kib(6300)), COST, partial))
        .hasMessageContaining("layer 0 at 2 bits");
  }
}
