package io.qatfleet.messaging.event;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;

/**
 * Asks the trainer (on {@code qat.train}) to run one training round: the float baseline (round 0),
 * the first QAT round, or a retrain.
 *
 * @param checkpoint the checkpoint that caused this request (e.g. the quantized model that failed
 *     validation), or null
 * @param reason why this round runs, e.g. "baseline", "first QAT round", "accuracy drop 0.021 >
 *     0.01"
 * @param epochs epoch budget of the round; 0 makes the round post-training quantization (observer
 *     ranges and the quantizer's calibration only), the baseline that QAT rounds must beat
 * @param learningRate initial learning rate, finite and positive
 * @param startFrom weights (and learned quantization parameters) to start from, or null to start
 *     from the job spec's initialisation
 * @param spec the job's spec, so that any instance of any stage can act on the event alone
 */
public record TrainRequested(
    String eventId,
    String jobId,
    int round,
    CheckpointRef checkpoint,
    Instant timestamp,
    JobSpec spec,
    String reason,
    int epochs,
    double learningRate,
    CheckpointRef startFrom)
    implements QatEvent {

  public TrainRequested {
    Require.uuid("eventId", eventId);
    Require.jobId(jobId);
    Require.nonNegative("round", round);
    Require.nonNull("timestamp", timestamp);
    Require.nonNull("spec", spec);
    Require.nonBlank("reason", reason);
    Require.nonNegative("epochs", epochs);
    Require.positive("learningRate", learningRate);
  }
}
