package io.qatfleet.validator.messaging;

/**
 * Names of the validator's own SmallRye channels (status and dead letters are every service's:
 * {@code io.qatfleet.service.FleetChannels}); {@code application.properties} maps each one to its
 * topic ({@code mp.messaging.incoming.<name>.topic} / {@code mp.messaging.outgoing.<name>.topic}).
 */
public final class Channels {

  /** {@code qat.validate}: baseline FloatCheckpointReady and QuantizedModelReady, keyed by job. */
  public static final String VALIDATE_IN = "validate-in";

  /** {@code qat.deploy}: ModelApproved, keyed by job. */
  public static final String DEPLOY_OUT = "deploy-out";

  /** {@code qat.models}: the registry, ModelApproved keyed by model name (compacted). */
  public static final String MODELS_OUT = "models-out";

  /** {@code qat.train}: RetrainRequested, keyed by job. */
  public static final String TRAIN_OUT = "train-out";

  private Channels() {}
}
