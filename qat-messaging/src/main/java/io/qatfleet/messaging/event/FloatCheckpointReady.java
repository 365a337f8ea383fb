package io.qatfleet.messaging.event;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;
import java.util.Map;

/**
 * The trainer finished a round and stored its float (shadow-weight) checkpoint; published on {@code
 * qat.quantize} for the quantizer, which calibrates and projects it.
 *
 * @param checkpoint the float checkpoint, never null
 * @param baseline true for the float baseline the quantized models are judged against (on {@code
 *     qat.validate}; on {@code qat.quantize} the quantizer makes it the post-training-quantized
 *     round 0), false for the output of a QAT round
 * @param trainingMetrics final numbers of the round by name (e.g. loss, samplesPerSecond, and
 *     {@value #TRAINING_SECONDS}: the seconds spent training)
 * @param spec the spec the round ran with (the job's, with the remedies of earlier send-backs
 *     applied), so that any instance of any stage can act on the event alone
 */
public record FloatCheckpointReady(
    String eventId,
    String jobId,
    int round,
    CheckpointRef checkpoint,
    Instant timestamp,
    JobSpec spec,
    boolean baseline,
    Map<String, Double> trainingMetrics)
    implements QatEvent {

  /**
   * Entry of {@link #trainingMetrics()}: seconds the round spent training (building its training
   * graph and running its epochs), without loading data or moving checkpoints.
   */
  public static final String TRAINING_SECONDS = "seconds";

  /**
   * Entry of {@link #trainingMetrics()}: CPU-seconds the process spent in the same span as {@value
   * #TRAINING_SECONDS}, every thread counted (TensorFlow's own included).
   */
  public static final String CPU_SECONDS = "cpuSeconds";

  /**
   * Entry of {@link #trainingMetrics()}: relative change of the mean training loss from the round's
   * second-to-last epoch to its last ({@code -0.05}: fell by 5 %); absent for rounds of fewer than
   * two epochs.
   */
  public static final String LAST_EPOCH_LOSS_CHANGE = "lastEpochLossChange";

  public FloatCheckpointReady {
    Require.uuid("eventId", eventId);
    Require.jobId(jobId);
    Require.nonNegative("round", round);
    Require.nonNull("checkpoint", checkpoint);
    Require.nonNull("timestamp", timestamp);
    Require.nonNull("spec", spec);
    trainingMetrics = Require.metrics("trainingMetrics", trainingMetrics);
  }
}
