package io.qatfleet.validator.messaging;

/**
 * Names of the validator's own SmallRye channels (status and dead letters are every service's:
 * {@code io.qatfleet.service.FleetChannels}); {@code application.properties} maps each one to its
 * topic. Its decisions (qat.status, qat.deploy, qat.models, qat.train) go through a transactional
 * producer of its own ({@link EventPublisher}), not through channels.
 */
public final class Channels {

  /** {@code qat.validate}: baseline FloatCheckpointReady and QuantizedModelReady, keyed by job. */
  public static final String VALIDATE_IN = "validate-in";

  private Channels() {}
}
