package io.qatfleet.core.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.qatfleet.core.data.DatasetId;
import io.qatfleet.core.json.Json;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.precision.MixedPrecision;
import io.qatfleet.core.precision.PrecisionCost;
import io.qatfleet.core.quant.LayerQuantSpec;
import io.qatfleet.core.quant.QuantizationBudget;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.TrainingSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a user submits: "make this model W-bit without losing more than X". The single-process
 * experiment and the fleet both run from it. Missing sections take defaults; {@link #violations()}
 * names every bad field at once so that an API can answer with all of them.
 *
 * @param name the model name, the key of the model registry
 * @param thresholds acceptance bars keyed by metric: accuracy, macroPrecision, macroRecall, macroF1
 * @param maxRounds QAT rounds the validator may ask for before the job fails
 * @param deadlineMinutes minutes after submission by which the job must be done, else it fails at
 *     the next training step; null for the trainer's maximum ({@link JobBudget#maxDeadlineMinutes})
 * @param strategy whether post-training quantization may be approved before any QAT round; null for
 *     {@link Strategy#QAT}
 */
public record JobSpec(
    String name,
    DataSpec data,
    ModelSpec model,
    QuantizationSpec quantization,
    TrainingSpec training,
    Map<String, MetricThreshold> thresholds,
    Integer maxRounds,
    @JsonInclude(JsonInclude.Include.NON_NULL) Integer deadlineMinutes,
    @JsonInclude(JsonInclude.Include.NON_NULL) Strategy strategy) {

  public static final Set<String> METRICS =
      Set.of("accuracy", "macroPrecision", "macroRecall", "macroF1");
  public static final int DEFAULT_MAX_ROUNDS = 3;

  public JobSpec {
    name = name == null ? "model" : name;
    data = data == null ? new DataSpec(null, null, null, null) : data;
    model = model == null ? ModelSpec.smallCnn() : model;
    quantization = quantization == null ? QuantizationSpec.of(8, 8, null) : quantization;
    training = training == null ? TrainingSpec.defaults() : training;
    // Null values kept, not a crash of the copy: violations() names them.
    thresholds =
        thresholds == null
            ? Map.of("accuracy", new MetricThreshold(null, 0.01, null))
            : Collections.unmodifiableMap(new TreeMap<>(thresholds));
    maxRounds = maxRounds == null ? DEFAULT_MAX_ROUNDS : maxRounds;
  }

  /** A spec without a deadline of its own. */
  public JobSpec(
      String name,
      DataSpec data,
      ModelSpec model,
      QuantizationSpec quantization,
      TrainingSpec training,
      Map<String, MetricThreshold> thresholds,
      Integer maxRounds) {
    this(name, data, model, quantization, training, thresholds, maxRounds, null, null);
  }

  /** A spec with the default strategy. */
  public JobSpec(
      String name,
      DataSpec data,
      ModelSpec model,
      QuantizationSpec quantization,
      TrainingSpec training,
      Map<String, MetricThreshold> thresholds,
      Integer maxRounds,
      Integer deadlineMinutes) {
    this(name, data, model, quantization, training, thresholds, maxRounds, deadlineMinutes, null);
  }

  /** Whether post-training quantization is validated first and may be approved. */
  public boolean ptqFirst() {
    return strategy == Strategy.PTQ_FIRST;
  }

  /** This spec with other quantization and training sections, everything else unchanged. */
  public JobSpec with(QuantizationSpec newQuantization, TrainingSpec newTraining) {
    return new JobSpec(
        name,
        data,
        model,
        newQuantization,
        newTraining,
        thresholds,
        maxRounds,
        deadlineMinutes,
        strategy);
  }

  /** This spec with another quantization section. */
  public JobSpec withQuantization(QuantizationSpec newQuantization) {
    return with(newQuantization, training);
  }

  /** Parses a spec from JSON; unknown fields are errors. */
  public static JobSpec fromJson(String json) {
    try {
      return Json.MAPPER.readValue(json, JobSpec.class);
    } catch (JsonProcessingException e) {
      String place =
          e instanceof com.fasterxml.jackson.databind.JsonMappingException m
              ? Json.fieldPath(m)
              : "";
      String field = place.isEmpty() ? "" : place + ": ";
      throw new IllegalArgumentException(
          "job spec is not valid JSON: " + field + e.getOriginalMessage(), e);
    }
  }

  public String toJson() {
    try {
      return Json.MAPPER.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise job spec", e);
    }
  }

  /** Every problem with this spec, each naming the field and the bad value; empty when valid. */
  public List<String> violations() {
    List<String> out = new ArrayList<>();
    if (name.isBlank() || !name.matches("[A-Za-z0-9._-]{1,100}")) {
      out.add("name: must be 1-100 characters of [A-Za-z0-9._-], got '" + name + "'");
    }
    out.addAll(data.violations());
    List<String> modelProblems = model.violations();
    out.addAll(modelProblems);
    out.addAll(datasetMismatches());
    // The layer count comes from the model's layers: only of a valid model (an invalid one may
    // hold nulls or millions of entries); without it, layer overrides are not checked against it.
    List<String> quantizationProblems =
        quantization.violations(modelProblems.isEmpty() ? model.layerCount() : -1);
    out.addAll(quantizationProblems);
    if (modelProblems.isEmpty() && quantizationProblems.isEmpty()) {
      out.addAll(budgetViolations());
    }
    out.addAll(training.violations());
    for (Map.Entry<String, MetricThreshold> e : thresholds.entrySet()) {
      String field = "thresholds." + e.getKey();
      if (!METRICS.contains(e.getKey())) {
        out.add(field + ": unknown metric, expected one of " + new TreeSet<>(METRICS));
      } else if (e.getValue() == null) {
        out.add(field + ": must not be null");
      } else {
        out.addAll(e.getValue().violations(field));
      }
    }
    if (maxRounds < 1 || maxRounds > 20) {
      out.add("maxRounds: must be in 1..20, got " + maxRounds);
    }
    if (deadlineMinutes != null && deadlineMinutes < 1) {
      out.add("deadlineMinutes: must be >= 1 (or absent), got " + deadlineMinutes);
    }
    return out;
  }

  /**
   * Where the quantization budget cannot be met, known from the spec alone: an automatic spec whose
   * smallest model (every free layer at the narrowest automatic width) is over it, or fixed bits
   * that are.
   */
  private List<String> budgetViolations() {
    QuantizationBudget budget = quantization.budget();
    if (budget == null) {
      return List.of();
    }
    PrecisionCost cost = PrecisionCost.of(model, quantization);
    int[] bits = MixedPrecision.smallest(quantization, model.layerCount());
    String what =
        quantization.autoBits()
            ? "the smallest model the automatic search can choose ("
                + QuantizationSpec.AUTO_CANDIDATE_BITS.get(0)
                + "-bit weights where not pinned)"
            : "the model at its weight bits";
    List<String> out = new ArrayList<>();
    double kib = cost.bytes(bits) / 1024.0;
    if (budget.sizeKiB() != null && kib > budget.sizeKiB()) {
      out.add(
          String.format(
              Locale.ROOT,
              "quantization.budget.sizeKiB: infeasible, %s is %.2f KiB, got %s",
              what,
              kib,
              budget.sizeKiB()));
    }
    double ops = cost.bitOps(bits);
    if (budget.bitOps() != null && ops > budget.bitOps()) {
      out.add(
          String.format(
              Locale.ROOT,
              "quantization.budget.bitOps: infeasible, %s needs %.4g bit-operations, got %s",
              what,
              ops,
              budget.bitOps()));
    }
    return out;
  }

  /**
   * Where the model's input shape or classes disagree with the dataset's, known from {@link
   * DatasetId} without reading the files.
   */
  private List<String> datasetMismatches() {
    List<String> out = new ArrayList<>();
    if (data.source() != null) {
      return out; // known once the files are read: DataCheck
    }
    DatasetId id;
    try {
      id = data.datasetId();
    } catch (IllegalArgumentException e) {
      return out; // data.dataset is reported by DataSpec
    }
    if (!model.numClasses().equals(id.numClasses())) {
      out.add(
          "model.numClasses: must be the "
              + id.numClasses()
              + " classes of "
              + id.displayName()
              + ", got "
              + model.numClasses());
    }
    if (!model.inputHeight().equals(id.imageHeight())
        || !model.inputWidth().equals(id.imageWidth())) {
      out.add(
          "model.inputHeight x model.inputWidth: must be the "
              + id.imageHeight()
              + "x"
              + id.imageWidth()
              + " images of "
              + id.displayName()
              + ", got "
              + model.inputHeight()
              + "x"
              + model.inputWidth());
    }
    if (model.inputChannels() != 1) {
      out.add(
          "model.inputChannels: must be the 1 channel of "
              + id.displayName()
              + ", got "
              + model.inputChannels());
    }
    return out;
  }

  /**
   * Things that are allowed but likely to disappoint, such as 1-bit layers (the straight-through
   * estimator is known to train poorly at one bit). Empty for an invalid spec.
   */
  public List<String> warnings() {
    List<String> out = new ArrayList<>();
    if (!violations().isEmpty()) {
      return out;
    }
    if (!quantization.resolved(model.layerCount())) {
      return out; // automatic bits: known once the trainer has chosen them
    }
    List<LayerQuantSpec> layers = quantization.resolve(model.layerCount());
    for (int i = 0; i < layers.size(); i++) {
      if (layers.get(i).weights().weakForSte() || layers.get(i).input().weakForSte()) {
        out.add(
            "quantization: layer "
                + i
                + " is quantized to 1 bit; the straight-through estimator is known to train"
                + " poorly there");
      }
    }
    return out;
  }

  /** Returns this spec, or throws {@link InvalidJobSpecException} listing every violation. */
  public JobSpec requireValid() {
    List<String> problems = violations();
    if (!problems.isEmpty()) {
      throw new InvalidJobSpecException(problems);
    }
    return this;
  }
}
