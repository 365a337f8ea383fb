package io.qatfleet.messaging.event;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;
import java.util.Map;

/**
 * A quantized model passed validation and is released; published on {@code qat.deploy}, and its
 * latest version per model name on the compacted {@code qat.models} (keyed by {@code modelName}).
 *
 * @param checkpoint the approved integer checkpoint, never null
 * @param version the registry version of this model name, from 1
 * @param metrics the quantized model's validation metrics by name
 * @param spec the approved job's spec: a retraining trigger starts a new job with it
 * @param calibratedCheckpoint the float checkpoint with the calibrated quantization parameters that
 *     the integer model was projected from: a retraining trigger continues QAT from it
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
    CheckpointRef calibratedCheckpoint)
    implements QatEvent {

  public ModelApproved {
    Require.uuid("eventId", eventId);
    Require.nonBlank("jobId", jobId);
    Require.nonNegative("round", round);
    Require.nonNull("checkpoint", checkpoint);
    Require.nonNull("timestamp", timestamp);
    Require.nonBlank("modelName", modelName);
    Require.positive("version", version);
    metrics = Require.metrics("metrics", metrics);
    Require.nonNull("spec", spec);
    Require.nonNull("calibratedCheckpoint", calibratedCheckpoint);
  }
}
