package io.qatfleet.validator.messaging;

import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import io.qatfleet.messaging.topic.TopicAdmin;
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
 * Prepares the broker side before the first record is consumed: creates the fleet's topics that do
 * not exist yet ({@link TopicAdmin#ensureTopics}, so that no topic is auto-created with the wrong
 * partitions or cleanup policy) and loads the model registry. It observes {@link StartupEvent}
 * ahead of SmallRye Reactive Messaging (priority 1000), which starts the consumer. Also produces
 * the {@link CheckpointStore} on {@code qat.checkpoints} that the validator reads checkpoints from.
 */
@ApplicationScoped
public class KafkaSetup {

  private static final Logger LOG = Logger.getLogger(KafkaSetup.class);

  /** Before SmallRye Reactive Messaging's start-up observer (1000) subscribes the consumer. */
  static final int BEFORE_MESSAGING = 100;

  private final String bootstrapServers;

  public KafkaSetup(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
  }

  void onStart(@Observes @Priority(BEFORE_MESSAGING) StartupEvent event, ModelRegistry registry) {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      Set<String> created = TopicAdmin.ensureTopics(admin);
      LOG.infof("topics on %s ready; created %s", bootstrapServers, created);
    }
    registry.load();
  }

  @Produces
  @ApplicationScoped
  CheckpointStore checkpointStore() {
    return new KafkaCheckpointStore(bootstrapServers);
  }

  void closeStore(@Disposes CheckpointStore store) {
    store.close();
  }
}
