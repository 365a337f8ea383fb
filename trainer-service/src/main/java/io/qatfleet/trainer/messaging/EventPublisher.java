package io.qatfleet.trainer.messaging;

import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.service.FleetPublisher;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * The trainer's outgoing work channels ({@code qat.jobs}, {@code qat.train}, {@code qat.validate},
 * {@code qat.quantize}) by name, sent through the fleet's one {@link FleetPublisher}: keyed by job
 * id and awaited, so that a stage is marked done in the ledger only after its outcome is durable.
 * Progress goes through {@link FleetPublisher#status} directly.
 */
@ApplicationScoped
public class EventPublisher {

  private final FleetPublisher fleet;
  private final Map<String, MutinyEmitter<byte[]>> emitters;

  EventPublisher(
      FleetPublisher fleet,
      @Channel(Channels.JOBS_OUT) MutinyEmitter<byte[]> jobs,
      @Channel(Channels.TRAIN_OUT) MutinyEmitter<byte[]> train,
      @Channel(Channels.VALIDATE_OUT) MutinyEmitter<byte[]> validate,
      @Channel(Channels.QUANTIZE_OUT) MutinyEmitter<byte[]> quantize) {
    this.fleet = fleet;
    this.emitters =
        Map.of(
            Channels.JOBS_OUT, jobs,
            Channels.TRAIN_OUT, train,
            Channels.VALIDATE_OUT, validate,
            Channels.QUANTIZE_OUT, quantize);
  }

  /**
   * Sends {@code event} on {@code channel} and waits for the broker's acknowledgement.
   *
   * @throws io.qatfleet.service.PublishException if the broker did not acknowledge in time
   */
  public void publish(String channel, QatEvent event) {
    MutinyEmitter<byte[]> emitter = emitters.get(channel);
    if (emitter == null) {
      throw new IllegalArgumentException("no outgoing work channel " + channel);
    }
    fleet.publish(emitter, event);
  }
}
