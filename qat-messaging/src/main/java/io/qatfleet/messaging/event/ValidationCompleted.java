package io.qatfleet.messaging.event;

import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The validator's report on one quantized model: metrics of the float baseline and of the
 * integer-simulated quantized model on the test split, the result of every threshold, the agreement
 * of integer inference with the fake-quant graph, and the decision that follows.
 *
 * @param round the round judged; round 0 is post-training quantization of the float baseline
 *     (approved only under {@code "strategy": "ptq_first"}, else reported beside the QAT rounds)
 * @param checkpoint the quantized checkpoint that was judged, never null
 * @param floatMetrics metrics of the float baseline by name (accuracy, macroF1, ...; {@value
 *     #EVALUATION_SECONDS}: the seconds the validator spent evaluating the baseline, once per job)
 * @param quantizedMetrics metrics of the quantized model by name ({@value #EVALUATION_SECONDS}: the
 *     seconds spent evaluating this round's integer model and fake-quant graph)
 * @param thresholdResults one entry per threshold of the job spec
 * @param agreement fraction of test samples on which integer inference and fake-quant agree
 * @param floatConfusion the float baseline's confusion matrix on the test split, rows = true class,
 *     columns = predicted class
 * @param quantizedConfusion the quantized model's confusion matrix (integer engine), same layout
 * @param thresholdSource which bar {@code thresholdResults} checked: the spec's thresholds, or the
 *     validator's default bar because the spec named none; null only in reports written before it
 *     was recorded
 * @param sensitivity per-layer sensitivity of this round's model on the calibration split, entry
 *     {@code i} for layer {@code i} (at most {@link LayerSensitivity#MAX_LAYERS}); null when not
 *     measured (reports written before it was, or a validator configured not to)
 * @param classNames the test data's class names by label (the folder names of an image folder,
 *     ...), for the report's per-class tables; null in reports written before they were recorded
 */
public record ValidationCompleted(
    String eventId,
    String jobId,
    int round,
    CheckpointRef checkpoint,
    Instant timestamp,
    Map<String, Double> floatMetrics,
    Map<String, Double> quantizedMetrics,
    List<ThresholdResult> thresholdResults,
    double agreement,
    Decision decision,
    List<List<Integer>> floatConfusion,
    List<List<Integer>> quantizedConfusion,
    @OptionalField ThresholdSource thresholdSource,
    @OptionalField List<LayerSensitivity> sensitivity,
    @OptionalField List<String> classNames)
    implements QatEvent {

  /**
   * Entry of {@link #floatMetrics()} and {@link #quantizedMetrics()}: seconds the validator spent
   * evaluating that model on the test split, without loading data or fetching checkpoints.
   */
  public static final String EVALUATION_SECONDS = "evaluationSeconds";

  /**
   * Entries of {@link #quantizedMetrics()}: CPU-seconds each stage of the round spent (training (0
   * for round 0, post-training quantization), quantizing, evaluating), as the stages measured them.
   */
  public static final String TRAINING_CPU_SECONDS = "trainingCpuSeconds";

  public static final String QUANTIZATION_CPU_SECONDS = "quantizationCpuSeconds";
  public static final String EVALUATION_CPU_SECONDS = "evaluationCpuSeconds";

  public ValidationCompleted {
    Require.uuid("eventId", eventId);
    Require.jobId(jobId);
    Require.nonNegative("round", round);
    Require.nonNull("checkpoint", checkpoint);
    Require.nonNull("timestamp", timestamp);
    floatMetrics = Require.metrics("floatMetrics", floatMetrics);
    quantizedMetrics = Require.metrics("quantizedMetrics", quantizedMetrics);
    thresholdResults = Require.list("thresholdResults", thresholdResults);
    Require.unitInterval("agreement", agreement);
    Require.nonNull("decision", decision);
    floatConfusion = Require.confusion("floatConfusion", floatConfusion);
    quantizedConfusion = Require.confusion("quantizedConfusion", quantizedConfusion);
    if (floatConfusion.size() != quantizedConfusion.size()) {
      throw new IllegalArgumentException(
          "floatConfusion and quantizedConfusion must have as many classes, were "
              + floatConfusion.size()
              + " and "
              + quantizedConfusion.size());
    }
    sensitivity = LayerSensitivity.perLayer("sensitivity", sensitivity);
    if (classNames != null) {
      if (classNames.size() > MAX_CLASS_NAMES || classNames.stream().anyMatch(n -> n == null)) {
        throw new IllegalArgumentException(
            "classNames must hold at most " + MAX_CLASS_NAMES + " names, none null");
      }
      classNames = List.copyOf(classNames);
    }
    boolean allPassed = thresholdResults.stream().allMatch(ThresholdResult::passed);
    if (allPassed != (decision == Decision.PASS)) {
      throw new IllegalArgumentException(
          "decision must be pass exactly when every threshold passed, was "
              + decision
              + " with "
              + (allPassed ? "all thresholds passed" : "a failed threshold"));
    }
  }

  /** Labels are unsigned bytes: at most this many classes. */
  public static final int MAX_CLASS_NAMES = 256;

  /** A report without class names. */
  public ValidationCompleted(
      String eventId,
      String jobId,
      int round,
      CheckpointRef checkpoint,
      Instant timestamp,
      Map<String, Double> floatMetrics,
      Map<String, Double> quantizedMetrics,
      List<ThresholdResult> thresholdResults,
      double agreement,
      Decision decision,
      List<List<Integer>> floatConfusion,
      List<List<Integer>> quantizedConfusion,
      ThresholdSource thresholdSource,
      List<LayerSensitivity> sensitivity) {
    this(
        eventId,
        jobId,
        round,
        checkpoint,
        timestamp,
        floatMetrics,
        quantizedMetrics,
        thresholdResults,
        agreement,
        decision,
        floatConfusion,
        quantizedConfusion,
        thresholdSource,
        sensitivity,
        null);
  }

  /** A report without per-layer sensitivity. */
  public ValidationCompleted(
      String eventId,
      String jobId,
      int round,
      CheckpointRef checkpoint,
      Instant timestamp,
      Map<String, Double> floatMetrics,
      Map<String, Double> quantizedMetrics,
      List<ThresholdResult> thresholdResults,
      double agreement,
      Decision decision,
      List<List<Integer>> floatConfusion,
      List<List<Integer>> quantizedConfusion,
      ThresholdSource thresholdSource) {
    this(
        eventId,
        jobId,
        round,
        checkpoint,
        timestamp,
        floatMetrics,
        quantizedMetrics,
        thresholdResults,
        agreement,
        decision,
        floatConfusion,
        quantizedConfusion,
        thresholdSource,
        null);
  }

  /** The sensitivity table keyed by layer index; empty when none was measured. */
  public Map<Integer, LayerSensitivity> sensitivityByLayer() {
    return LayerSensitivity.byLayer(sensitivity);
  }

  /** A report as written before reports said which bar applied. */
  public ValidationCompleted(
      String eventId,
      String jobId,
      int round,
      CheckpointRef checkpoint,
      Instant timestamp,
      Map<String, Double> floatMetrics,
      Map<String, Double> quantizedMetrics,
      List<ThresholdResult> thresholdResults,
      double agreement,
      Decision decision,
      List<List<Integer>> floatConfusion,
      List<List<Integer>> quantizedConfusion) {
    this(
        eventId,
        jobId,
        round,
        checkpoint,
        timestamp,
        floatMetrics,
        quantizedMetrics,
        thresholdResults,
        agreement,
        decision,
        floatConfusion,
        quantizedConfusion,
        null,
        null);
  }
}
