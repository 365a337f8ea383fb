package io.qatfleet.messaging.event;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.time.Instant;
import java.util.Map;

/**
 * The quantizer learned the quantization parameters and projected the weights onto the integer
 * grid; published on {@code qat.validate} for the validator.
 *
 * @param checkpoint the integer checkpoint, never null
 * @param calibratedCheckpoint the float checkpoint with the calibrated quantization parameters: the
 *     validator runs its fake-quant graph for the agreement rate, and a retrain starts from it
 * @param calibrationMetrics numbers of the calibration by name (e.g. calibrationLoss, mean step
 *     size, and the seconds of calibration {@value #CALIBRATION_SECONDS} and projection {@value
 *     #PROJECTION_SECONDS})
 * @param spec the job's spec, so that any instance of any stage can act on the event alone
 * @param onnxModel the integer model exported as ONNX ({@code io.qatfleet.core.onnx.OnnxExporter}),
 *     stored like a checkpoint: the file the validator runs in ONNX Runtime and an approval names;
 *     null in events written before the export existed
 */
public record QuantizedModelReady(
    String eventId,
    String jobId,
    int round,
    CheckpointRef checkpoint,
    Instant timestamp,
    JobSpec spec,
    CheckpointRef calibratedCheckpoint,
    Map<String, Double> calibrationMetrics,
    @OptionalField CheckpointRef onnxModel)
    implements QatEvent {

  /**
   * Entry of {@link #calibrationMetrics()}: seconds spent learning the quantization parameters
   * (building the calibration graph and running its epochs).
   */
  public static final String CALIBRATION_SECONDS = "calibrationSeconds";

  /** Entry of {@link #calibrationMetrics()}: seconds spent projecting onto the integer grid. */
  public static final String PROJECTION_SECONDS = "projectionSeconds";

  /**
   * Entry of {@link #calibrationMetrics()}: CPU-seconds the process spent quantizing (range
   * observers for round 0, calibration, projection), every thread counted.
   */
  public static final String CPU_SECONDS = "cpuSeconds";

  /**
   * Prefix of the entries of {@link #calibrationMetrics()} copied from the round's {@link
   * FloatCheckpointReady#trainingMetrics()} ({@code training.cpuSeconds}, {@code
   * training.lastEpochLossChange}, ...), so that the validator sees how the round trained.
   */
  public static final String TRAINING_PREFIX = "training.";

  public QuantizedModelReady {
    Require.uuid("eventId", eventId);
    Require.jobId(jobId);
    Require.nonNegative("round", round);
    Require.nonNull("checkpoint", checkpoint);
    Require.nonNull("timestamp", timestamp);
    Require.nonNull("spec", spec);
    Require.nonNull("calibratedCheckpoint", calibratedCheckpoint);
    calibrationMetrics = Require.metrics("calibrationMetrics", calibrationMetrics);
  }

  /** An event as written before the ONNX export: no ONNX model. */
  public QuantizedModelReady(
      String eventId,
      String jobId,
      int round,
      CheckpointRef checkpoint,
      Instant timestamp,
      JobSpec spec,
      CheckpointRef calibratedCheckpoint,
      Map<String, Double> calibrationMetrics) {
    this(
        eventId,
        jobId,
        round,
        checkpoint,
        timestamp,
        spec,
        calibratedCheckpoint,
        calibrationMetrics,
        null);
  }
}
