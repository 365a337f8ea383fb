package io.qatfleet.quantizer.messaging;

/**
 * Names of the quantizer's own SmallRye Reactive Messaging channels (status and dead letters are
 * every service's: {@code io.qatfleet.service.FleetChannels}); {@code application.properties} binds
 * each to its Kafka topic under {@code mp.messaging.incoming.<name>} or {@code
 * mp.messaging.outgoing.<name>}.
 */
public final class Channels {

  /** {@code qat.quantize}: FloatCheckpointReady from the trainer. */
  public static final String QUANTIZE_IN = "quantize-in";

  /** {@code qat.validate}: QuantizedModelReady for the validator. */
  public static final String VALIDATE_OUT = "validate-out";

  private Channels() {}
}
