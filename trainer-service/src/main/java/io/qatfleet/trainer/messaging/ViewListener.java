package io.qatfleet.trainer.messaging;

import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.service.SealedEvents;
import io.qatfleet.trainer.service.JobRounds;
import io.qatfleet.trainer.service.JobStops;
import io.qatfleet.trainer.service.JobView;
import io.qatfleet.trainer.service.ModelOwners;
import io.qatfleet.trainer.service.ModelRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Reads the topics this instance keeps in memory, each from its start with a consumer group of its
 * own: {@code qat.jobs}, {@code qat.status} and {@code qat.deploy} into the {@link JobView} ({@code
 * GET /jobs}) and the {@link JobRounds} (the web console's rounds, which also read {@code
 * qat.train}: requests and send-backs with their remedies), {@code qat.owners} into {@link
 * ModelOwners} (who owns which model name), and the compacted {@code qat.models} into the {@link
 * ModelRegistry} (for retraining triggers and the console's registry). Records without the fleet's
 * seal or that do not decode are logged and skipped ({@link SealedEvents#read}), not dead-lettered:
 * these topics are read by every instance, and the service that wrote a bad record owns its dead
 * letter. So a forged {@code ModelClaimed} takes no model name and a forged {@code
 * ValidationCompleted} shows in no job. Registry entries carry the validator's signature, which the
 * trigger path verifies.
 */
@ApplicationScoped
public class ViewListener {

  private static final Logger LOG = Logger.getLogger(ViewListener.class);

  private final SealedEvents events;
  private final JobView view;
  private final JobRounds rounds;
  private final JobStops stops;
  private final ModelRegistry registry;
  private final ModelOwners owners;

  ViewListener(
      SealedEvents events,
      JobView view,
      JobRounds rounds,
      JobStops stops,
      ModelRegistry registry,
      ModelOwners owners) {
    this.events = events;
    this.rounds = rounds;
    this.stops = stops;
    this.view = view;
    this.registry = registry;
    this.owners = owners;
  }

  @Incoming(Channels.JOBS_VIEW_IN)
  public void onJob(ConsumerRecord<String, byte[]> record) {
    apply(record);
  }

  @Incoming(Channels.OWNERS_IN)
  public void onOwner(ConsumerRecord<String, byte[]> record) {
    events.read(record).ifPresent(event -> applySafely(record, owners::apply, event));
  }

  @Incoming(Channels.STATUS_VIEW_IN)
  public void onStatus(ConsumerRecord<String, byte[]> record) {
    apply(record);
  }

  @Incoming(Channels.DEPLOY_VIEW_IN)
  public void onDeploy(ConsumerRecord<String, byte[]> record) {
    apply(record);
  }

  @Incoming(Channels.TRAIN_VIEW_IN)
  public void onTrain(ConsumerRecord<String, byte[]> record) {
    apply(record, rounds::apply, view::apply);
  }

  @Incoming(Channels.MODELS_IN)
  public void onModel(ConsumerRecord<String, byte[]> record) {
    try {
      registry.apply(record.key(), record.value());
    } catch (RuntimeException e) {
      LOG.warnf("skipping registry record %d: %s", record.offset(), e.getMessage());
    }
  }

  private void apply(ConsumerRecord<String, byte[]> record) {
    // Rounds first: a change of the view tells the console to read them again.
    apply(record, rounds::apply, view::apply, stops::apply);
  }

  @SafeVarargs
  private void apply(ConsumerRecord<String, byte[]> record, Consumer<QatEvent>... views) {
    events
        .read(record)
        .ifPresent(
            event -> {
              for (Consumer<QatEvent> v : views) {
                applySafely(record, v, event);
              }
            });
  }

  /** A view never fails its channel: an event it cannot apply is logged and skipped. */
  private static void applySafely(
      ConsumerRecord<String, byte[]> record, Consumer<QatEvent> apply, QatEvent event) {
    try {
      apply.accept(event);
    } catch (RuntimeException e) {
      LOG.warnf(
          "skipping %s-%d@%d: %s",
          record.topic(), record.partition(), record.offset(), e.getMessage());
    }
  }
}
