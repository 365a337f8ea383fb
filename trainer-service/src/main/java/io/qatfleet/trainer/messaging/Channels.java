package io.qatfleet.trainer.messaging;

/**
 * Names of the trainer's own Reactive Messaging channels (the status and dead-letter channels are
 * every service's: {@code io.qatfleet.service.FleetChannels}); {@code application.properties} maps
 * each to its topic ({@code io.qatfleet.messaging.topic.Topics}).
 */
public final class Channels {

  /** {@code qat.jobs}: JobSubmitted, the float baseline's input. */
  public static final String JOBS_IN = "jobs-in";

  /** {@code qat.train}: TrainRequested and RetrainRequested, the QAT rounds' input. */
  public static final String TRAIN_IN = "train-in";

  /** {@code qat.triggers}: RetrainTriggered. */
  public static final String TRIGGERS_IN = "triggers-in";

  /** {@code qat.models}: the compacted model registry, read from the start by every instance. */
  public static final String MODELS_IN = "models-in";

  /** {@code qat.status}: every service's progress, for the job view. */
  public static final String STATUS_VIEW_IN = "status-view-in";

  /** {@code qat.deploy}: approvals, for the job view. */
  public static final String DEPLOY_VIEW_IN = "deploy-view-in";

  /** {@code qat.jobs}: every job's submission (name, owner), for the job view. */
  public static final String JOBS_VIEW_IN = "jobs-view-in";

  /** {@code qat.train}: round requests and send-backs (remedies), for the console's rounds. */
  public static final String TRAIN_VIEW_IN = "train-view-in";

  /** {@code qat.owners}: model-name claims, read from the start by every instance. */
  public static final String OWNERS_IN = "owners-in";

  /** {@code qat.owners}: this instance's claims of new model names. */
  public static final String OWNERS_OUT = "owners-out";

  /** {@code qat.jobs}: jobs from {@code POST /jobs} and from triggers. */
  public static final String JOBS_OUT = "jobs-out";

  /** {@code qat.train}: the first QAT round after a baseline. */
  public static final String TRAIN_OUT = "train-out";

  /** {@code qat.validate}: the float baseline, evaluated once per job by the validator. */
  public static final String VALIDATE_OUT = "validate-out";

  /** {@code qat.quantize}: a QAT round's float checkpoint, for the quantizer. */
  public static final String QUANTIZE_OUT = "quantize-out";

  private Channels() {}
}
