package io.qatfleet.quantizer.messaging;

import io.qatfleet.messaging.topic.TopicAdmin;
import io.qatfleet.quantizer.QuantizerConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Creates the fleet's missing topics with their partitions and configs ({@link TopicAdmin}) before
 * the channels connect, so that neither the consumer nor the checkpoint store makes a broker
 * auto-create one with default settings.
 */
@ApplicationScoped
public class TopicBootstrap {

  private static final Logger LOG = Logger.getLogger(TopicBootstrap.class);

  private final QuantizerConfig config;
  private final String bootstrapServers;

  public TopicBootstrap(
      QuantizerConfig config,
      @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
    this.config = config;
    this.bootstrapServers = bootstrapServers;
  }

  void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) {
    if (!config.createTopics()) {
      return;
    }
    try (Admin admin =
        Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      Set<String> created = TopicAdmin.ensureTopics(admin);
      LOG.infof("topics on %s: created %s", bootstrapServers, created);
    }
  }
}
