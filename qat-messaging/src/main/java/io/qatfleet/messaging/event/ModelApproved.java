package io.qatfleet.messaging.event;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;
import java.util.Map;

/**
 * A quantized model passed validation and is released; published on {@code qat.deploy}, and its
 * latest version per model name on the compacted {@code qat.models} (keyed by {@code modelName}).
 * The validator signs it ({@code io.qatfleet.messaging.approval.ApprovalSignature}); a reader acts
 * on an approval only after verifying {@link #signature()} with the validator's public key.
 *
 * @param checkpoint the approved integer checkpoint, never null
 * @param version the registry version of this model name, from 1
 * @param metrics the quantized model's validation metrics by name
 * @param spec the approved job's spec: a retraining trigger starts a new job with it
 * @param calibratedCheckpoint the float checkpoint with the calibrated quantization parameters that
 *     the integer model was projected from: a retraining trigger continues QAT from it
 * @param thresholds the bar the model passed, by metric (the spec's, or the validator's default bar
 *     when the spec names none); null only in approvals written before it was recorded
 * @param thresholdSource where {@code thresholds} came from; null where {@code thresholds} is
 * @param keyId which key signed this approval: the first 16 hex digits of the SHA-256 of the
 *     validator's public key (X.509 encoding); null when unsigned
 * @param signature base64 Ed25519 signature over the approval's canonical form; null when unsigned
 *     (such an approval decodes, and every reader refuses it)
 * @param onnxModel the approved model exported as ONNX (digest and size), the file that ships; the
 *     signature covers it (canonical form v2); null in approvals written before the export existed
 */
public record ModelApproved(
    String eventId,
    String jobId,
    int round,
    CheckpointRef checkpoint,
    Instant timestamp,
    String modelName,
    int version,
    Map<String, Double> metrics,
    JobSpec spec,
    CheckpointRef calibratedCheckpoint,
    @OptionalField Map<String, MetricThreshold> thresholds,
    @OptionalField ThresholdSource thresholdSource,
    @OptionalField String keyId,
    @OptionalField String signature,
    @OptionalField CheckpointRef onnxModel)
    implements QatEvent {

  public ModelApproved {
    Require.uuid("eventId", eventId);
    Require.jobId(jobId);
    Require.nonNegative("round", round);
    Require.nonNull("checkpoint", checkpoint);
    Require.nonNull("timestamp", timestamp);
    Require.nonBlank("modelName", modelName);
    Require.positive("version", version);
    metrics = Require.metrics("metrics", metrics);
    Require.nonNull("spec", spec);
    Require.nonNull("calibratedCheckpoint", calibratedCheckpoint);
    thresholds = thresholds == null ? null : Require.thresholds("thresholds", thresholds);
  }

  /** An approval without an ONNX model (written before the export existed). */
  public ModelApproved(
      String eventId,
      String jobId,
      int round,
      CheckpointRef checkpoint,
      Instant timestamp,
      String modelName,
      int version,
      Map<String, Double> metrics,
      JobSpec spec,
      CheckpointRef calibratedCheckpoint,
      Map<String, MetricThreshold> thresholds,
      ThresholdSource thresholdSource,
      String keyId,
      String signature) {
    this(
        eventId,
        jobId,
        round,
        checkpoint,
        timestamp,
        modelName,
        version,
        metrics,
        spec,
        calibratedCheckpoint,
        thresholds,
        thresholdSource,
        keyId,
        signature,
        null);
  }

  /** An approval as written before approvals carried their bar and signature: unsigned. */
  public ModelApproved(
      String eventId,
      String jobId,
      int round,
      CheckpointRef checkpoint,
      Instant timestamp,
      String modelName,
      int version,
      Map<String, Double> metrics,
      JobSpec spec,
      CheckpointRef calibratedCheckpoint) {
    this(
        eventId,
        jobId,
        round,
        checkpoint,
        timestamp,
        modelName,
        version,
        metrics,
        spec,
        calibratedCheckpoint,
        null,
        null,
        null,
        null);
  }

  /** This approval with {@code bar} as the thresholds it passed, from {@code source}, unsigned. */
  public ModelApproved withThresholds(Map<String, MetricThreshold> bar, ThresholdSource source) {
    return new ModelApproved(
        eventId,
        jobId,
        round,
        checkpoint,
        timestamp,
        modelName,
        version,
        metrics,
        spec,
        calibratedCheckpoint,
        bar,
        source,
        null,
        null,
        onnxModel);
  }

  /** This approval naming {@code onnx} as its ONNX model, unsigned. */
  public ModelApproved withOnnxModel(CheckpointRef onnx) {
    return new ModelApproved(
        eventId,
        jobId,
        round,
        checkpoint,
        timestamp,
        modelName,
        version,
        metrics,
        spec,
        calibratedCheckpoint,
        thresholds,
        thresholdSource,
        null,
        null,
        onnx);
  }

  /** This approval carrying {@code signature} by the key {@code keyId}. */
  public ModelApproved withSignature(String keyId, String signature) {
    return new ModelApproved(
        eventId,
        jobId,
        round,
        checkpoint,
        timestamp,
        modelName,
        version,
        metrics,
        spec,
        calibratedCheckpoint,
        thresholds,
        thresholdSource,
        keyId,
        signature,
        onnxModel);
  }
}
