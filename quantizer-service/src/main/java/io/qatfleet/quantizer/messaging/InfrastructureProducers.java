package io.qatfleet.quantizer.messaging;

import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import io.qatfleet.messaging.stage.StageLedger;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.quantizer.QuantizerConfig;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Produces the plain-Java pieces of qat-messaging as CDI beans: the {@link CheckpointStore} on
 * {@code qat.checkpoints} (same broker as the channels, {@code kafka.bootstrap.servers}) and the
 * {@link StageLedger} under {@code qat.state-dir}.
 */
public class InfrastructureProducers {

  @Produces
  @Singleton
  CheckpointStore checkpointStore(
      @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
      QuantizerConfig config) {
    return new KafkaCheckpointStore(
        Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
        Topics.CHECKPOINTS,
        config.checkpointChunkBytes());
  }

  void closeCheckpointStore(@Disposes CheckpointStore store) {
    store.close();
  }

  @Produces
  @Singleton
  StageLedger stageLedger(QuantizerConfig config) {
    return new StageLedger(config.stateDir().resolve("ledger"));
  }
}
