package io.qatfleet.bench;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.file.Path;
import java.util.List;

/**
 * One measured model of the precision benchmark, a line of its results file (JSON Lines).
 *
 * @param framework "qat-fleet" or "pytorch"
 * @param method float, uniform (every inner layer at {@code weightBits}, first and last at 8), or
 *     auto (bits chosen per layer within the size of uniform {@code weightBits})
 * @param weightBits the uniform width; for auto rows the width whose uniform size is the budget
 * @param layerBits weight bits per layer, input side first (null for float rows)
 * @param sizeKiB weights at their nominal widths plus int32 biases (precision/PrecisionCost)
 * @param budgetKiB the auto row's budget (null otherwise)
 * @param distillation whether QAT distilled from the float model ("+ KD" rows)
 * @param planSeconds seconds the auto row spent measuring sensitivity and searching
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
record PrecisionRow(
    String framework,
    String dataset,
    String model,
    long seed,
    String method,
    int weightBits,
    int activationBits,
    List<Integer> layerBits,
    double sizeKiB,
    Double budgetKiB,
    boolean distillation,
    double accuracy,
    double macroF1,
    Double predictedLossIncrease,
    int trainSamples,
    int testSamples,
    int floatEpochs,
    int qatEpochs,
    int batch,
    double seconds,
    Double planSeconds) {

  static final String OURS = QualityRow.OURS;
  static final String FLOAT = "float";
  static final String UNIFORM = "uniform";
  static final String AUTO = "auto";

  boolean isFloat() {
    return FLOAT.equals(method);
  }

  /** Rows of the same framework, dataset, model and seed share one float baseline. */
  String group() {
    return framework + "/" + dataset + "/" + model + "/" + seed;
  }

  /** "uniform W4", "auto W3": how a variant is matched across runs and seeds. */
  String variant() {
    return method + " W" + weightBits + "A" + activationBits + (distillation ? " kd" : "");
  }

  static List<PrecisionRow> read(Path file) {
    return JsonLines.read(file, PrecisionRow.class);
  }

  void append(Path file) {
    JsonLines.append(file, this);
  }

  static void write(Path file, List<PrecisionRow> rows) {
    JsonLines.write(file, rows);
  }
}
