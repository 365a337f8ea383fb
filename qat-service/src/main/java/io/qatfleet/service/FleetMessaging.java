package io.qatfleet.service;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import io.qatfleet.messaging.checkpoint.RetainedCheckpointStore;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.integrity.EventSeal;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.stage.StageLedger;
import io.qatfleet.messaging.topic.TopicAdmin;
import io.qatfleet.messaging.topic.Topics;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Wires qat-messaging's plain-Java pieces into every service's CDI container, once: the {@link
 * KafkaClientSettings} built from the same {@code kafka.*} configuration the channels get (Quarkus'
 * {@code default-kafka-broker} map), the strict {@link EventCodec}, the {@link StageLedger} under
 * {@code qat.state-dir}, the {@link EventSeal} of {@code qat.event-key}, and the {@link
 * RetainedCheckpointStore} on {@code qat.checkpoints} and {@code qat.checkpoints.approved}. At
 * start it creates the fleet's missing topics ({@link TopicAdmin#ensureTopics}, {@code
 * qat.checkpoints} with {@code qat.checkpoint-retention}) before SmallRye Reactive Messaging
 * subscribes its consumers (its start-up observer has priority 1000), so that no client makes a
 * broker auto-create a topic with default settings.
 */
@ApplicationScoped
public class FleetMessaging {

  /** Priority of the topic creation among start-up observers: before anything that reads Kafka. */
  public static final int CREATE_TOPICS = 10;

  /**
   * Records on {@code qat.checkpoints} and {@code qat.checkpoints.approved} the store skipped for
   * bad chunk headers.
   */
  public static final String SKIPPED_CHUNKS = "qat.checkpoints.skipped.chunks";

  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);

  private static final Logger LOG = Logger.getLogger(FleetMessaging.class);

  private final FleetConfig config;

  FleetMessaging(FleetConfig config) {
    this.config = config;
  }

  void createTopics(
      @Observes @Priority(CREATE_TOPICS) StartupEvent event, KafkaClientSettings clients) {
    if (!config.createTopics()) {
      return;
    }
    try (Admin admin = clients.admin("topics")) {
      Set<String> created =
          TopicAdmin.ensureTopics(admin, Topics.all(config.checkpointRetention()));
      LOG.infof("topics on %s ready; created %s", clients.bootstrapServers(), created);
    }
  }

  @Produces
  @Singleton
  KafkaClientSettings kafkaClientSettings(
      @Identifier("default-kafka-broker") Map<String, Object> kafka,
      @ConfigProperty(name = "quarkus.application.name") String service) {
    return KafkaClientSettings.of(kafka, service);
  }

  @Produces
  @Singleton
  EventCodec eventCodec() {
    return new EventCodec();
  }

  /**
   * The seal of the fleet's events, from {@code qat.event-key}; a missing or short key fails the
   * start with the setting named.
   */
  @Produces
  @Singleton
  EventSeal eventSeal() {
    EventSeal seal = EventSeal.fromBase64("qat.event-key (QAT_EVENT_KEY)", config.eventKey());
    LOG.infof("events sealed and verified with fleet key %s", seal.keyId());
    return seal;
  }

  @Produces
  @Singleton
  StageLedger stageLedger() {
    return new StageLedger(
        config.stateDir().resolve("ledger"), config.ledgerRetention(), Clock.systemUTC());
  }

  @Produces
  @Singleton
  RetainedCheckpointStore checkpointStore(KafkaClientSettings clients, MeterRegistry registry) {
    return fleetCheckpointStore(clients, config, registry);
  }

  /**
   * The store on {@code qat.checkpoints} and {@code qat.checkpoints.approved} with the service's
   * chunk size and size limit, its count of skipped chunks registered as {@value #SKIPPED_CHUNKS}:
   * what every service's store is, and what a test's wrapper around it must be too.
   */
  public static RetainedCheckpointStore fleetCheckpointStore(
      KafkaClientSettings clients, FleetConfig config, MeterRegistry registry) {
    RetainedCheckpointStore store =
        new RetainedCheckpointStore(
            new KafkaCheckpointStore(
                clients,
                Topics.CHECKPOINTS,
                config.checkpointChunkBytes(),
                config.checkpointMaxBytes()),
            KafkaCheckpointStore.approved(
                clients, config.checkpointChunkBytes(), config.checkpointMaxBytes()));
    FunctionCounter.builder(
            SKIPPED_CHUNKS, store, s -> s.work().skippedChunks() + s.approved().skippedChunks())
        .description(
            "records on qat.checkpoints and qat.checkpoints.approved skipped for missing or"
                + " inconsistent chunk headers")
        .register(registry);
    return store;
  }

  /**
   * Whether the cluster answers a metadata request within 10 s, through a short-lived admin client
   * with the service's {@code kafka.*} settings; asked only after a checkpoint read timed out.
   */
  @Produces
  @Singleton
  BrokerProbe brokerProbe(KafkaClientSettings clients) {
    return () -> {
      try (Admin admin =
          clients.admin(
              "probe",
              Map.of(
                  AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) PROBE_TIMEOUT.toMillis(),
                  AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                      (int) PROBE_TIMEOUT.toMillis()))) {
        admin.describeCluster().nodes().get(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (ExecutionException | TimeoutException | KafkaException e) {
        return false;
      }
    };
  }

  void closeCheckpointStore(@Disposes RetainedCheckpointStore store) {
    store.close();
  }
}
