package io.qatfleet.quantizer.messaging;

/**
 * Names of the quantizer's SmallRye Reactive Messaging channels; {@code application.properties}
 * binds each to its Kafka topic under {@code mp.messaging.incoming.<name>} or {@code
 * mp.messaging.outgoing.<name>}.
 */
public final class Channels {

  /** {@code qat.quantize}: FloatCheckpointReady from the trainer. */
  public static final String QUANTIZE_IN = "quantize-in";

  /** {@code qat.validate}: QuantizedModelReady for the validator. */
  public static final String VALIDATE_OUT = "validate-out";

  /** {@code qat.status}: StatusUpdates for the CLI, dashboard and job view. */
  public static final String STATUS_OUT = "status-out";

  /** {@code qat.dlq}: DeadLetters for records this service could not process. */
  public static final String DLQ_OUT = "dlq-out";

  private Channels() {}
}
