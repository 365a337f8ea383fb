package io.qatfleet.quantizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.security.FleetPrincipal;
import io.qatfleet.messaging.testing.SecuredKafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

/**
 * The quantizer as its own principal on a broker that requires SCRAM authentication and authorizes
 * by ACL: with its credentials in {@code kafka.*} and nothing else, it reads a QAT round and its
 * checkpoint and hands the integer model to the validator; its principal may not write the registry
 * or feed the trainer.
 */
@QuarkusTest
@TestProfile(SecuredQuantizerTest.Secured.class)
@QuarkusTestResource(
    value = SecuredKafkaBrokerResource.class,
    initArgs = @ResourceArg(name = "principal", value = "quantizer"),
    restrictToAnnotatedClass = true)
class SecuredQuantizerTest {

  /** A profile of its own, so that Quarkus restarts the service against the secured broker. */
  public static final class Secured implements QuarkusTestProfile {}

  private static final EventCodec CODEC = new EventCodec();

  @Inject CheckpointStore store;

  @Test
  void quantizesAsItsOwnPrincipalAndMayNotWriteOutsideItsStage() throws Exception {
    CheckpointRef input = store.put(QatCheckpointFixture.qatCheckpoint());
    String job = "job-" + UUID.randomUUID();
    FloatCheckpointReady round =
        new FloatCheckpointReady(
            QatEvent.newEventId(),
            job,
            1,
            input,
            Instant.now(),
            QatCheckpointFixture.SPEC,
            false,
            Map.of("loss", 0.9));
    SecuredKafkaBrokerResource.sendSealed(
        FleetPrincipal.TRAINER, Topics.QUANTIZE, job, CODEC.encode(round));

    byte[] value =
        SecuredKafkaBrokerResource.awaitRecord(
                FleetPrincipal.VALIDATOR,
                Topics.VALIDATE,
                r -> job.equals(r.key()),
                Duration.ofSeconds(120))
            .orElseThrow(() -> new AssertionError("no QuantizedModelReady for " + job))
            .value();
    assertThat(CODEC.decode(value)).isInstanceOf(QuantizedModelReady.class);

    for (String topic : new String[] {Topics.MODELS, Topics.TRAIN}) {
      assertThatThrownBy(
              () ->
                  SecuredKafkaBrokerResource.send(
                      FleetPrincipal.QUANTIZER, topic, job, CODEC.encode(round)))
          .as("quantizer writing " + topic)
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(TopicAuthorizationException.class);
    }
  }
}
