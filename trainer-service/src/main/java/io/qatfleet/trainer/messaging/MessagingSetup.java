package io.qatfleet.trainer.messaging;

import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.stage.StageLedger;
import io.qatfleet.messaging.topic.TopicAdmin;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.trainer.TrainerConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Wires the shared messaging pieces into CDI: the strict {@link EventCodec}, the {@link
 * StageLedger} under {@code qat.state-dir}, and the {@link KafkaCheckpointStore} on {@code
 * qat.checkpoints}. At start it creates the fleet's topics ({@link TopicAdmin#ensureTopics}) before
 * Reactive Messaging opens its consumers (which starts at priority 1000), so that no client
 * auto-creates a topic with the broker's defaults.
 */
@ApplicationScoped
public class MessagingSetup {

  private static final Logger LOG = Logger.getLogger(MessagingSetup.class);

  private final String bootstrapServers;
  private final TrainerConfig config;

  MessagingSetup(
      @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
      TrainerConfig config) {
    this.bootstrapServers = bootstrapServers;
    this.config = config;
  }

  void createTopics(@Observes @Priority(10) StartupEvent event) {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      Set<String> created = TopicAdmin.ensureTopics(admin);
      LOG.infof("topics on %s ready; created %s", bootstrapServers, created);
    }
  }

  @Produces
  @ApplicationScoped
  EventCodec eventCodec() {
    return new EventCodec();
  }

  @Produces
  @ApplicationScoped
  StageLedger stageLedger() {
    return new StageLedger(config.stateDir().resolve("ledger"));
  }

  @Produces
  @ApplicationScoped
  CheckpointStore checkpointStore() {
    return new KafkaCheckpointStore(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
        Topics.CHECKPOINTS,
        config.checkpointChunkBytes());
  }

  void closeCheckpointStore(@Disposes CheckpointStore store) {
    store.close();
  }
}
