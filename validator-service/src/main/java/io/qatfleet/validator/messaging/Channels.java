package io.qatfleet.validator.messaging;

/**
 * Names of the validator's SmallRye channels; {@code application.properties} maps each one to its
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

  /** {@code qat.status}: ValidationCompleted, JobFailed and StatusUpdate, keyed by job. */
  public static final String STATUS_OUT = "status-out";

  /** {@code qat.dlq}: DeadLetter for records this service could not process. */
  public static final String DLQ_OUT = "dlq-out";

  private Channels() {}
}
