package io.qatfleet.validator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.security.FleetPrincipal;
import io.qatfleet.messaging.testing.SecuredKafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.validator.TestModels.Models;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The validator as its own principal on a broker that requires SCRAM authentication and authorizes
 * by ACL: with the validator's credentials in {@code kafka.*} and nothing else, it reads its input
 * and the checkpoints, approves a passing model onto {@code qat.deploy} and the registry {@code
 * qat.models}; the trainer's principal (which feeds {@code qat.validate}) may not write either.
 */
@QuarkusTest
@TestProfile(SecuredValidatorTest.Secured.class)
@QuarkusTestResource(
    value = SecuredKafkaBrokerResource.class,
    initArgs = @ResourceArg(name = "principal", value = "validator"),
    restrictToAnnotatedClass = true)
class SecuredValidatorTest {

  /** A profile of its own, so that Quarkus restarts the service against the secured broker. */
  public static final class Secured implements QuarkusTestProfile {}

  private static final EventCodec CODEC = new EventCodec();

  @Inject CheckpointStore store;

  @Test
  void approvesAsItsOwnPrincipalWhileTheTrainersPrincipalCannotForgeAnApproval() throws Exception {
    Models models = TestModels.models();
    CheckpointRef baseline = store.put(models.baseline());
    CheckpointRef integer = store.put(models.trainedInteger());
    CheckpointRef calibrated = store.put(models.trainedCalibrated());
    String model = "secured-" + UUID.randomUUID().toString().substring(0, 8);
    JobSpec spec = TestModels.spec(model, TestModels.lenient(), 3);
    String job = "job-" + UUID.randomUUID();

    // The trainer and the quantizer feed qat.validate under their own principals.
    send(
        FleetPrincipal.TRAINER,
        Topics.VALIDATE,
        job,
        new FloatCheckpointReady(
            QatEvent.newEventId(), job, 0, baseline, Instant.now(), spec, true, Map.of()));
    send(
        FleetPrincipal.QUANTIZER,
        Topics.VALIDATE,
        job,
        ValidatorFlowTest.quantized(job, 1, spec, integer, calibrated));

    ModelApproved approved = awaitApproval(model);
    assertThat(approved.jobId()).isEqualTo(job);
    assertThat(approved.checkpoint()).isEqualTo(integer);

    ModelApproved forged =
        new ModelApproved(
            QatEvent.newEventId(),
            job,
            1,
            integer,
            Instant.now(),
            model,
            99,
            Map.of("accuracy", 1.0),
            spec,
            calibrated);
    for (String topic : List.of(Topics.MODELS, Topics.DEPLOY)) {
      assertThatThrownBy(() -> send(FleetPrincipal.TRAINER, topic, model, forged))
          .as("trainer writing " + topic)
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(TopicAuthorizationException.class);
    }
  }

  private static void send(FleetPrincipal as, String topic, String key, QatEvent event)
      throws Exception {
    Map<String, Object> config = new HashMap<>(SecuredKafkaBrokerResource.clientConfig(as));
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
      producer
          .send(new ProducerRecord<>(topic, key, CODEC.encode(event)))
          .get(30, TimeUnit.SECONDS);
    }
  }

  /** The registry entry of {@code model}, read as the trainer (which may read qat.models). */
  private static ModelApproved awaitApproval(String model) throws Exception {
    Map<String, Object> config =
        new HashMap<>(SecuredKafkaBrokerResource.clientConfig(FleetPrincipal.TRAINER));
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(Topics.MODELS, Duration.ofSeconds(10)).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (model.equals(r.key()) && CODEC.decode(r.value()) instanceof ModelApproved a) {
            return a;
          }
        }
      }
    }
    throw new AssertionError("no approval of " + model + " on " + Topics.MODELS);
  }
}
