package io.qatfleet.validator.messaging;

import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.ValidationCompleted;
import io.qatfleet.service.FleetPublisher;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * The validator's decisions, sent through the fleet's one {@link FleetPublisher} (every send
 * awaited; a refused one raises {@code PublishException}, and nothing is marked done): the report
 * and a failed job on {@code qat.status}, an approval on {@code qat.deploy} and the registry {@code
 * qat.models} (keyed by model name), a send-back on {@code qat.train}.
 */
@ApplicationScoped
public class EventPublisher {

  private final FleetPublisher fleet;
  private final MutinyEmitter<byte[]> deploy;
  private final MutinyEmitter<byte[]> models;
  private final MutinyEmitter<byte[]> train;

  public EventPublisher(
      FleetPublisher fleet,
      @Channel(Channels.DEPLOY_OUT) MutinyEmitter<byte[]> deploy,
      @Channel(Channels.MODELS_OUT) MutinyEmitter<byte[]> models,
      @Channel(Channels.TRAIN_OUT) MutinyEmitter<byte[]> train) {
    this.fleet = fleet;
    this.deploy = deploy;
    this.models = models;
    this.train = train;
  }

  public Clock clock() {
    return fleet.clock();
  }

  /** The validation report, on {@code qat.status}. */
  public void validationCompleted(ValidationCompleted event) {
    fleet.report(event);
  }

  /**
   * The approval on {@code qat.deploy}, then the same record as registry entry on {@code
   * qat.models}.
   */
  public void approved(ModelApproved event) {
    fleet.publish(deploy, event);
    fleet.publish(models, event.modelName(), event);
  }

  public void retrain(RetrainRequested event) {
    fleet.publish(train, event);
  }

  public void jobFailed(JobFailed event) {
    fleet.report(event);
  }

  /** A progress line for the job on {@code qat.status}, not waited for. */
  public void status(String jobId, int round, String stage, double progress, String message) {
    fleet.status(jobId, round, stage, progress, message);
  }
}
