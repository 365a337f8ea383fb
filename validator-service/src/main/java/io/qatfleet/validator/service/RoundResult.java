package io.qatfleet.validator.service;

import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.event.Decision;
import java.util.Map;

/**
 * What the validator decided for one QAT round of a job, kept in the stage ledger so that a failed
 * job can name its best round even after a restart.
 *
 * @param checkpoint the round's integer checkpoint
 * @param calibratedCheckpoint the round's calibrated float checkpoint
 */
public record RoundResult(
    int round,
    Decision decision,
    Map<String, Double> quantizedMetrics,
    double agreement,
    CheckpointRef checkpoint,
    CheckpointRef calibratedCheckpoint) {

  /** The quantized model's accuracy, by which rounds are ranked. */
  public double accuracy() {
    Double a = quantizedMetrics.get(ModelEvaluator.ACCURACY);
    return a == null ? Double.NaN : a;
  }
}
