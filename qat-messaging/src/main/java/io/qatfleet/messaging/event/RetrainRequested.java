package io.qatfleet.messaging.event;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;

/**
 * The validator sends a model that missed a threshold back for another QAT round; published on
 * {@code qat.train}. The trainer starts round {@code nextRound} from {@code checkpoint} (the
 * projected model with its learned quantization parameters).
 *
 * @param round the round that failed validation
 * @param checkpoint the quantized checkpoint to start from, never null
 * @param reason which threshold failed, by how much
 * @param nextRound always {@code round + 1}
 * @param spec the spec the failed round ran with (the job's, with earlier remedies applied), so
 *     that any instance of any stage can act on the event alone
 * @param epochs epoch budget of the next round
 * @param learningRate initial learning rate of the next round
 * @param remedy what else the next round changes, and why; null in send-backs written before
 *     remedies existed (twice the epochs and nothing else)
 */
public record RetrainRequested(
    String eventId,
    String jobId,
    int round,
    CheckpointRef checkpoint,
    Instant timestamp,
    JobSpec spec,
    String reason,
    int nextRound,
    int epochs,
    double learningRate,
    @OptionalField Remedy remedy)
    implements QatEvent {

  public RetrainRequested {
    Require.uuid("eventId", eventId);
    Require.jobId(jobId);
    Require.nonNegative("round", round);
    Require.nonNull("checkpoint", checkpoint);
    Require.nonNull("timestamp", timestamp);
    Require.nonNull("spec", spec);
    Require.nonBlank("reason", reason);
    if (nextRound != round + 1) {
      throw new IllegalArgumentException(
          "nextRound must be round + 1 = " + (round + 1) + ", was " + nextRound);
    }
    Require.positive("epochs", epochs);
    Require.positive("learningRate", learningRate);
  }

  /** A send-back as written before remedies: epochs and learning rate only. */
  public RetrainRequested(
      String eventId,
      String jobId,
      int round,
      CheckpointRef checkpoint,
      Instant timestamp,
      JobSpec spec,
      String reason,
      int nextRound,
      int epochs,
      double learningRate) {
    this(
        eventId,
        jobId,
        round,
        checkpoint,
        timestamp,
        spec,
        reason,
        nextRound,
        epochs,
        learningRate,
        null);
  }
}
