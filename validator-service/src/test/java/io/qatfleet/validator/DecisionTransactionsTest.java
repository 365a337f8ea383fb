package io.qatfleet.validator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import io.qatfleet.messaging.checkpoint.RetainedCheckpointStore;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.ThresholdSource;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.security.FleetPrincipal;
import io.qatfleet.messaging.testing.ApprovalKeyResource;
import io.qatfleet.messaging.testing.EventTopics;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.service.FleetPublisher;
import io.qatfleet.validator.messaging.EventPublisher;
import io.qatfleet.validator.messaging.ModelRegistry;
import io.qatfleet.validator.service.ApprovalSigner;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The validator's decisions as Kafka transactions on the real broker (docs/fleet.md, "Exactly one
 * approval per round"): a decision cut short by a crash is invisible to the fleet's readers and
 * decided again once; two validators approving one model at the same moment get two versions.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(
    value = ApprovalKeyResource.class,
    initArgs = @ResourceArg(name = ApprovalKeyResource.SIGNER, value = "true"))
class DecisionTransactionsTest {

  /** Inputs of the test's decisions: a topic of its own, so no consumer's offsets move. */
  private static final String INPUT_TOPIC = "qat.test.decisions";

  private static final Duration WAIT = Duration.ofSeconds(60);

  @Inject EventPublisher decisions;
  @Inject ModelRegistry registry;
  @Inject ApprovalSigner signer;
  @Inject FleetPublisher fleet;
  @Inject RetainedCheckpointStore checkpoints;

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  @ConfigProperty(name = "qat.event-key")
  String eventKey;

  private EventTopics topics;
  private final AtomicInteger offsets = new AtomicInteger();

  @BeforeEach
  void connect() throws Exception {
    topics = new EventTopics(bootstrapServers, eventKey);
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      admin.createTopics(List.of(new NewTopic(INPUT_TOPIC, 1, (short) 1))).all().get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
  }

  @AfterEach
  void disconnect() {
    topics.close();
  }

  /**
   * A validator dies after sending an approval but before committing: its transaction stays open on
   * the broker. The redelivered input is decided again, under the same model's transactional id,
   * which aborts the dangling transaction: the fleet's readers see one approval, version 1.
   */
  @Test
  void showsOneApprovalAfterAValidatorDiedMidDecision() throws Exception {
    String model = "tx-crash-" + UUID.randomUUID().toString().substring(0, 8);
    String job = UUID.randomUUID().toString();
    try (KafkaProducer<String, byte[]> dying =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                FleetPrincipal.VALIDATOR_TRANSACTIONS + model),
            new StringSerializer(),
            new ByteArraySerializer())) {
      dying.initTransactions();
      dying.beginTransaction();
      ModelApproved first = approval(model, job, 1);
      dying.send(fleet.record(Topics.DEPLOY, job, first)).get(30, TimeUnit.SECONDS);
      dying.send(fleet.record(Topics.MODELS, model, first)).get(30, TimeUnit.SECONDS);
      // No commit, no abort: the process is gone.
    }

    decisions.decide(
        model,
        nextInput(),
        outbox -> outbox.approved(approval(model, job, registry.versionFor(model, job, 1))));

    List<ModelApproved> visible =
        topics.readToEnd(Topics.DEPLOY, ModelApproved.class, a -> a.modelName().equals(model));
    assertThat(visible).extracting(ModelApproved::version).containsExactly(1);
    assertThat(
            topics.readToEnd(Topics.MODELS, ModelApproved.class, a -> a.modelName().equals(model)))
        .hasSize(1);
    // The dead validator's records are on the topic, aborted: a reader that ignored transactions
    // would have seen two approvals.
    assertThat(uncommittedCount(Topics.DEPLOY, job)).isEqualTo(2);
  }

  /**
   * Two validators decide approvals of one model at the same moment. The first has read the
   * registry (no version yet) when the second begins; the second fences it, commits version 1, and
   * the first, fenced at its commit, decides again and gets version 2.
   */
  @Test
  void givesConcurrentApprovalsOfOneModelDistinctVersions() throws Exception {
    String model = "tx-race-" + UUID.randomUUID().toString().substring(0, 8);
    String jobA = UUID.randomUUID().toString();
    String jobB = UUID.randomUUID().toString();
    CountDownLatch aHasReadTheRegistry = new CountDownLatch(1);
    CountDownLatch bCommitted = new CountDownLatch(1);
    AtomicInteger aAttempts = new AtomicInteger();

    CompletableFuture<Void> a =
        CompletableFuture.runAsync(
            () ->
                decisions.decide(
                    model,
                    nextInput(),
                    outbox -> {
                      int version = registry.versionFor(model, jobA, 1);
                      if (aAttempts.incrementAndGet() == 1) {
                        aHasReadTheRegistry.countDown();
                        await(bCommitted);
                      }
                      outbox.approved(approval(model, jobA, version));
                    }));
    await(aHasReadTheRegistry);
    decisions.decide(
        model,
        nextInput(),
        outbox -> outbox.approved(approval(model, jobB, registry.versionFor(model, jobB, 1))));
    bCommitted.countDown();
    a.get(WAIT.toSeconds(), TimeUnit.SECONDS);

    List<ModelApproved> visible =
        topics.readToEnd(Topics.DEPLOY, ModelApproved.class, e -> e.modelName().equals(model));
    assertThat(visible)
        .extracting(ModelApproved::jobId, ModelApproved::version)
        .containsExactlyInAnyOrder(tuple(jobB, 1), tuple(jobA, 2));
    assertThat(aAttempts.get()).isEqualTo(2);
  }

  /**
   * An approval copies the checkpoints it references onto qat.checkpoints.approved in its
   * transaction: a reader of that topic alone gets them back.
   */
  @Test
  void keepsTheApprovedCheckpointsOnTheApprovedTopic() throws Exception {
    String model = "tx-keep-" + UUID.randomUUID().toString().substring(0, 8);
    String job = UUID.randomUUID().toString();
    ModelApproved approved = approval(model, job, registry.versionFor(model, job, 1));

    decisions.decide(model, nextInput(), outbox -> outbox.approved(approved));

    try (KafkaCheckpointStore archive =
        KafkaCheckpointStore.approved(
            KafkaClientSettings.bootstrap(bootstrapServers, "test"),
            KafkaCheckpointStore.DEFAULT_CHUNK_BYTES,
            KafkaCheckpointStore.DEFAULT_MAX_CHECKPOINT_BYTES)) {
      assertThat(archive.get(approved.checkpoint(), WAIT))
          .asString(StandardCharsets.UTF_8)
          .isEqualTo("integer " + job);
      assertThat(archive.get(approved.calibratedCheckpoint(), WAIT))
          .asString(StandardCharsets.UTF_8)
          .isEqualTo("calibrated " + job);
    }
  }

  private ModelApproved approval(String model, String job, int version) {
    return signer.sign(
        new ModelApproved(
            QatEvent.newEventId(),
            job,
            1,
            checkpoints.put(("integer " + job).getBytes(StandardCharsets.UTF_8)),
            Instant.now(),
            model,
            version,
            Map.of("accuracy", 0.9),
            TestModels.spec(model, TestModels.lenient(), 1),
            checkpoints.put(("calibrated " + job).getBytes(StandardCharsets.UTF_8)),
            TestModels.lenient(),
            ThresholdSource.SPEC,
            null,
            null));
  }

  private EventPublisher.Input nextInput() {
    return new EventPublisher.Input(new TopicPartition(INPUT_TOPIC, 0), offsets.getAndIncrement());
  }

  /** Records keyed {@code key} on {@code topic}, aborted ones included. */
  private long uncommittedCount(String topic, String key) {
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_uncommitted"),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))
          && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(100)).forEach(seen::add);
      }
      return seen.stream().filter(r -> key.equals(r.key())).count();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      assertThat(latch.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
