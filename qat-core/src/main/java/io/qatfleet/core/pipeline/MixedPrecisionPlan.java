package io.qatfleet.core.pipeline;

import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.precision.MixedPrecision;
import io.qatfleet.core.precision.PrecisionCost;
import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.core.quant.QuantizationSpec;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The per-layer weight bits of an automatic spec ({@code "weightBits": "auto"}), chosen once the
 * float baseline exists: the sensitivity of every layer at every allowed width, measured from the
 * baseline on the calibration split ({@link Sensitivity#table}), then the search within the budget
 * ({@link MixedPrecision}). The chosen bits become {@code layers} overrides of the spec, which QAT,
 * the quantizer, the checkpoint metadata, the ONNX export and the report then carry like any other
 * per-layer bits.
 *
 * @param resolved the job's quantization with every layer's weight bits pinned
 * @param choice the bits, their cost and the predicted loss increase
 * @param table the measurements the choice was made from, by width then layer
 */
public record MixedPrecisionPlan(
    QuantizationSpec resolved, MixedPrecision.Choice choice, List<LayerSensitivity> table) {

  /** Chooses the bits for {@code pipeline}'s automatic spec from the float {@code baseline}. */
  public static MixedPrecisionPlan choose(QatPipeline pipeline, ModelState baseline, int samples) {
    QuantizationSpec q = pipeline.job().quantization();
    ModelSpec model = pipeline.job().model();
    TreeSet<Integer> widths = new TreeSet<>();
    MixedPrecision.allowed(q, model.layerCount()).forEach(widths::addAll);
    List<LayerSensitivity> table =
        Sensitivity.table(pipeline, baseline, List.copyOf(widths), samples);
    MixedPrecision.Choice choice = MixedPrecision.choose(q, PrecisionCost.of(model, q), table);
    return new MixedPrecisionPlan(q.withLayerWeightBits(choice.bits()), choice, table);
  }

  /** One line for progress and logs: the bits, the size against the budget, the prediction. */
  public String describe() {
    QuantizationSpec q = resolved;
    return String.format(
        Locale.ROOT,
        "auto weight bits %s: %.2f KiB%s, %.4g bit-ops/sample%s, predicted loss %+.4f (%s search)",
        MixedPrecision.describe(choice.bits()),
        choice.kib(),
        q.budget().sizeKiB() == null
            ? ""
            : String.format(Locale.ROOT, " of %.2f", q.budget().sizeKiB()),
        choice.bitOps(),
        q.budget().bitOps() == null
            ? ""
            : String.format(Locale.ROOT, " of %.4g", q.budget().bitOps()),
        choice.predictedLossIncrease(),
        choice.search());
  }
}
