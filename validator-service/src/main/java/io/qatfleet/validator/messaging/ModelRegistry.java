package io.qatfleet.validator.messaging;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.service.ApprovalVerifier;
import io.qatfleet.service.FleetMessaging;
import io.qatfleet.validator.ValidatorConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * The validator's view of the model registry: the latest {@link ModelApproved} per model name, read
 * from the compacted {@code qat.models} from its beginning at start-up and caught up again before
 * each new version is handed out, so that versions count up across restarts (and across validator
 * instances that approve one after the other). It consumes without a consumer group (partitions are
 * assigned, nothing is committed): every start reads the whole compacted topic. Entries whose
 * signature does not verify with the approval public key are ignored, so that a hand-written entry
 * cannot push the version numbers. Read {@code read_committed}: a decision's transaction that a
 * crash cut short is never counted. Two validators approving one model at the same moment do not
 * pick the same version: their decisions fence each other ({@link EventPublisher}).
 */
@ApplicationScoped
public class ModelRegistry {

  private static final Logger LOG = Logger.getLogger(ModelRegistry.class);
  private static final Duration POLL = Duration.ofMillis(200);

  private final EventCodec codec;
  private final ApprovalVerifier approvals;
  private final KafkaClientSettings clients;
  private final Duration timeout;
  private final Map<String, ModelApproved> latest = new HashMap<>();
  private KafkaConsumer<String, byte[]> consumer;

  public ModelRegistry(
      EventCodec codec,
      ApprovalVerifier approvals,
      KafkaClientSettings clients,
      ValidatorConfig config) {
    this.codec = codec;
    this.approvals = approvals;
    this.clients = clients;
    this.timeout = config.registryTimeout();
  }

  /** Loads the registry at start-up: after the topics exist, before the consumer subscribes. */
  void onStart(@Observes @Priority(FleetMessaging.CREATE_TOPICS + 1) StartupEvent event) {
    load();
  }

  /** Reads {@code qat.models} up to its current end. */
  public synchronized void load() {
    if (consumer == null) {
      consumer =
          clients.consumer(
              "registry", new StringDeserializer(), new ByteArrayDeserializer(), Map.of());
      List<TopicPartition> partitions =
          consumer.partitionsFor(Topics.MODELS, timeout).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
    }
    catchUp();
  }

  /**
   * The version an approval of {@code modelName} by ({@code jobId}, {@code round}) gets: the
   * version already registered for that very approval (a redelivery after a crash), else the latest
   * + 1.
   */
  public synchronized int versionFor(String modelName, String jobId, int round) {
    catchUp();
    ModelApproved current = latest.get(modelName);
    if (current == null) {
      return 1;
    }
    if (current.jobId().equals(jobId) && current.round() == round) {
      return current.version();
    }
    return current.version() + 1;
  }

  /**
   * Whether the latest registry entry of {@code modelName} is the approval of ({@code jobId},
   * {@code round}): a decision that was committed although its ledger entry was not written.
   */
  public synchronized boolean isLatestApproval(String modelName, String jobId, int round) {
    catchUp();
    ModelApproved current = latest.get(modelName);
    return current != null && current.jobId().equals(jobId) && current.round() == round;
  }

  /** Records an approval this service has published and the broker acknowledged. */
  public synchronized void registered(ModelApproved approval) {
    remember(approval);
  }

  /** The latest approved version of {@code modelName} known here. */
  public synchronized Optional<ModelApproved> latest(String modelName) {
    return Optional.ofNullable(latest.get(modelName));
  }

  private void catchUp() {
    if (consumer == null) {
      throw new IllegalStateException("model registry not loaded yet");
    }
    Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), timeout);
    long deadline = System.nanoTime() + timeout.toNanos();
    int read = 0;
    while (!reached(end)) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            "could not read " + Topics.MODELS + " up to " + end + " within " + timeout);
      }
      for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
        read++;
        apply(record);
      }
    }
    if (read > 0) {
      LOG.debugf("read %d registry records; %d models known", read, latest.size());
    }
  }

  private boolean reached(Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey(), timeout) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private void apply(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      if (record.key() != null) {
        latest.remove(record.key());
      }
      return;
    }
    try {
      QatEvent event = codec.decode(record.value());
      if (event instanceof ModelApproved approval) {
        remember(approvals.verify(approval));
      } else {
        LOG.warnf(
            "ignoring %s at %s-%d@%d: not a registry entry",
            event.getClass().getSimpleName(), record.topic(), record.partition(), record.offset());
      }
    } catch (EventDecodingException | RejectedInputException e) {
      LOG.warnf(
          "ignoring registry record at %s-%d@%d: %s",
          record.topic(), record.partition(), record.offset(), e.getMessage());
    }
  }

  private void remember(ModelApproved approval) {
    latest.merge(
        approval.modelName(), approval, (old, now) -> now.version() >= old.version() ? now : old);
  }

  @PreDestroy
  synchronized void close() {
    if (consumer != null) {
      consumer.close();
      consumer = null;
    }
  }
}
