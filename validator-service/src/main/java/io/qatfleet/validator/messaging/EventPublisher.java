package io.qatfleet.validator.messaging;

import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.RetainedCheckpointStore;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.ValidationCompleted;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.security.FleetPrincipal;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.service.FleetConfig;
import io.qatfleet.service.FleetPublisher;
import io.qatfleet.service.PublishException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The validator's decisions, each published as one Kafka transaction: the report ({@code
 * ValidationCompleted} on {@code qat.status}), the outcome — an approval on {@code qat.deploy} and
 * the registry {@code qat.models} (keyed by model name), a send-back on {@code qat.train}, or a
 * {@code JobFailed} on {@code qat.status} — and the offset of the {@code qat.validate} record it
 * answers. Readers consume {@code read_committed} (every channel and every client the fleet
 * builds), so a validator that dies between two of these sends leaves nothing visible, and its
 * redelivered input is decided again: never a second approval, never a report without its outcome.
 *
 * <p>One version per approval: the transactional id is {@link
 * FleetPrincipal#VALIDATOR_TRANSACTIONS} plus the model name (the validator's principal may write
 * transactional ids of that prefix), so two validators deciding jobs of one model fence each other.
 * The one that initialised later reads the registry after the other committed or was aborted; the
 * fenced one gets {@link ProducerFencedException} at its commit and decides again ({@link
 * Decision#write} runs again, reading the registry anew). docs/fleet.md, "Exactly one approval per
 * round", lists the crash points.
 *
 * <p>An approval also copies the files it references (the integer and calibrated checkpoints and
 * the ONNX model) onto {@code qat.checkpoints.approved} in the same transaction, so that they are
 * kept forever exactly when the approval is visible, while {@code qat.checkpoints} deletes its
 * working copies after {@code qat.checkpoint-retention}.
 */
@ApplicationScoped
public class EventPublisher {

  /** How often a decision fenced by a concurrent one of the same model is tried again. */
  static final int MAX_ATTEMPTS = 5;

  private static final Logger LOG = Logger.getLogger(EventPublisher.class);

  private final FleetPublisher fleet;
  private final RetainedCheckpointStore checkpoints;
  private final KafkaClientSettings clients;
  private final String groupId;
  private final Duration timeout;
  private final Duration checkpointTimeout;

  public EventPublisher(
      FleetPublisher fleet,
      RetainedCheckpointStore checkpoints,
      KafkaClientSettings clients,
      FleetConfig config,
      @ConfigProperty(name = "mp.messaging.incoming." + Channels.VALIDATE_IN + ".group.id")
          String groupId) {
    this.fleet = fleet;
    this.checkpoints = checkpoints;
    this.clients = clients;
    this.groupId = groupId;
    this.timeout = config.publishTimeout();
    this.checkpointTimeout = config.checkpointTimeout();
  }

  public Clock clock() {
    return fleet.clock();
  }

  /** Where the input a decision answers was read: its offset is committed with the decision. */
  public record Input(TopicPartition partition, long offset) {}

  /** A decision's sends, written inside its transaction. */
  @FunctionalInterface
  public interface Decision {
    /**
     * Sends the decision's events through {@code outbox}. Runs once per attempt: what it reads (the
     * registry's latest version) must be read here, after the transaction began.
     */
    void write(Outbox outbox);
  }

  /** The sends of one decision, inside its transaction. */
  public final class Outbox {
    private final KafkaProducer<String, byte[]> producer;

    private Outbox(KafkaProducer<String, byte[]> producer) {
      this.producer = producer;
    }

    /** The validation report, on {@code qat.status}. */
    public void report(ValidationCompleted event) {
      send(Topics.STATUS, event.jobId(), event);
    }

    /**
     * The approval on {@code qat.deploy}, the same record as registry entry, and the files it
     * references copied onto {@code qat.checkpoints.approved}.
     */
    public void approved(ModelApproved event) {
      keep(event.checkpoint());
      keep(event.calibratedCheckpoint());
      if (event.onnxModel() != null) {
        keep(event.onnxModel());
      }
      send(Topics.DEPLOY, event.jobId(), event);
      send(Topics.MODELS, event.modelName(), event);
    }

    /** Copies the chunks of {@code ref} onto the approved checkpoints' topic. */
    private void keep(CheckpointRef ref) {
      byte[] bytes = checkpoints.get(ref, checkpointTimeout);
      for (ProducerRecord<String, byte[]> chunk : checkpoints.approved().chunkRecords(bytes)) {
        producer.send(chunk);
      }
    }

    public void retrain(RetrainRequested event) {
      send(Topics.TRAIN, event.jobId(), event);
    }

    public void jobFailed(JobFailed event) {
      send(Topics.STATUS, event.jobId(), event);
    }

    private void send(String topic, String key, QatEvent event) {
      producer.send(fleet.record(topic, key, event));
    }
  }

  /**
   * Publishes the decision on the jobs of {@code modelName} that answers {@code input}: all its
   * events and the input's offset, or nothing.
   *
   * @throws PublishException when the broker does not commit it (then nothing of it is visible, and
   *     the record fails so that it is processed again)
   */
  public void decide(String modelName, Input input, Decision decision) {
    for (int attempt = 1; ; attempt++) {
      try (KafkaProducer<String, byte[]> producer = transactional(modelName)) {
        try {
          producer.initTransactions();
          producer.beginTransaction();
          decision.write(new Outbox(producer));
          producer.sendOffsetsToTransaction(
              Map.of(input.partition(), new OffsetAndMetadata(input.offset() + 1)),
              new ConsumerGroupMetadata(groupId));
          producer.commitTransaction();
          return;
        } catch (KafkaException e) {
          if (!fenced(e)) {
            abortQuietly(producer);
            throw new PublishException(
                "broker did not commit the decision on model " + modelName + ": " + e, e);
          }
          if (attempt >= MAX_ATTEMPTS) {
            throw new PublishException(
                "decision on model " + modelName + " fenced " + attempt + " times: " + e, e);
          }
          LOG.infof(
              "decision on model %s fenced by a concurrent one (attempt %d); deciding again",
              modelName, attempt);
        } catch (RuntimeException e) {
          abortQuietly(producer);
          throw e;
        }
      }
    }
  }

  /** A progress line for the job on {@code qat.status}, not waited for and not transactional. */
  public void status(String jobId, int round, String stage, double progress, String message) {
    fleet.status(jobId, round, stage, progress, message);
  }

  private KafkaProducer<String, byte[]> transactional(String modelName) {
    Map<String, Object> overrides = new HashMap<>(KafkaClientSettings.durableProducer());
    overrides.put(
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, FleetPrincipal.VALIDATOR_TRANSACTIONS + modelName);
    overrides.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
    overrides.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    overrides.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis() / 2);
    overrides.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    // An open transaction holds back every read_committed reader of its partitions: one left open
    // by a validator that died is aborted after this long (or sooner, when the next decision on
    // the same model fences it). The transaction spans the sends only, never the evaluation.
    overrides.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) timeout.toMillis());
    // A checkpoint chunk of up to 2 MiB plus its headers (an event, even a dead letter, is
    // smaller).
    overrides.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.CHECKPOINT_MAX_MESSAGE_BYTES);
    return clients.producer(
        "decision", new StringSerializer(), new ByteArraySerializer(), overrides);
  }

  /**
   * Whether {@code e} says that a later producer of the same transactional id (a concurrent
   * decision on the same model) fenced this one: then the decision runs again.
   */
  private static boolean fenced(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException) {
        return true;
      }
    }
    return false;
  }

  private static void abortQuietly(KafkaProducer<String, byte[]> producer) {
    try {
      producer.abortTransaction();
    } catch (RuntimeException e) {
      LOG.debugf("abort after a failed decision: %s", e);
    }
  }
}
