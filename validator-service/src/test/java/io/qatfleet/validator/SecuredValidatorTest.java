package io.qatfleet.validator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.security.FleetPrincipal;
import io.qatfleet.messaging.testing.SecuredKafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.validator.TestModels.Models;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

/**
 * The validator as its own principal on a broker that requires SCRAM authentication and authorizes
 * by ACL: with the validator's credentials in {@code kafka.*} and nothing else, it reads its input
 * and the checkpoints (which it may not write), approves a passing model onto {@code qat.deploy}
 * and the registry {@code qat.models}; the trainer's principal (which feeds {@code qat.validate})
 * may not write either.
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

  @Test
  void approvesAsItsOwnPrincipalWhileTheTrainersPrincipalCannotForgeAnApproval() throws Exception {
    Models models = TestModels.models();
    CheckpointRef baseline;
    CheckpointRef integer;
    CheckpointRef calibrated;
    // The validator only reads checkpoints; the trainer and the quantizer write them.
    try (KafkaCheckpointStore store =
        new KafkaCheckpointStore(
            KafkaClientSettings.of(
                SecuredKafkaBrokerResource.clientConfig(FleetPrincipal.QUANTIZER), "test"),
            Topics.CHECKPOINTS,
            KafkaCheckpointStore.DEFAULT_CHUNK_BYTES)) {
      baseline = store.put(models.baseline());
      integer = store.put(models.trainedInteger());
      calibrated = store.put(models.trainedCalibrated());
    }
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
    // Sealed with the fleet's key as the sending service would: what is tested here is the broker.
    SecuredKafkaBrokerResource.sendSealed(as, topic, key, CODEC.encode(event));
  }

  /** The registry entry of {@code model}, read as the trainer (which may read qat.models). */
  private static ModelApproved awaitApproval(String model) throws Exception {
    byte[] value =
        SecuredKafkaBrokerResource.awaitRecord(
                FleetPrincipal.TRAINER,
                Topics.MODELS,
                r -> model.equals(r.key()),
                Duration.ofSeconds(120))
            .orElseThrow(() -> new AssertionError("no approval of " + model + " on qat.models"))
            .value();
    return (ModelApproved) CODEC.decode(value);
  }
}
