package io.qatfleet.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.security.FleetPrincipal;
import io.qatfleet.messaging.testing.SecuredKafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

/**
 * The trainer as its own principal on a broker that requires SCRAM authentication and authorizes by
 * ACL: with its credentials in {@code kafka.*} and nothing else (work consumers, per-instance view
 * consumers in prefixed groups, the checkpoint store), it trains a submitted job's baseline, hands
 * it to the validator and asks for the first QAT round; its principal may not write the registry or
 * the deploy topic.
 */
@QuarkusTest
@TestProfile(SecuredTrainerTest.Secured.class)
@QuarkusTestResource(
    value = SecuredKafkaBrokerResource.class,
    initArgs = @ResourceArg(name = "principal", value = "trainer"),
    restrictToAnnotatedClass = true)
class SecuredTrainerTest {

  /** A profile of its own, so that Quarkus restarts the service against the secured broker. */
  public static final class Secured implements QuarkusTestProfile {}

  private static final EventCodec CODEC = new EventCodec();
  private static final Duration WAIT = Duration.ofSeconds(180);

  @Test
  void trainsAsItsOwnPrincipalAndMayNotApprove() throws Exception {
    String job = UUID.randomUUID().toString();
    JobSubmitted submitted =
        new JobSubmitted(QatEvent.newEventId(), job, 0, null, Instant.now(), TestJobs.tiny(1));
    // qat.jobs is the trainer's own topic (its API writes it): only its principal may.
    SecuredKafkaBrokerResource.sendSealed(
        FleetPrincipal.TRAINER, Topics.JOBS, job, CODEC.encode(submitted));

    // Each topic is read as a principal that may read it: qat.validate is the validator's input.
    QatEvent baseline = awaitEvent(FleetPrincipal.VALIDATOR, Topics.VALIDATE, job);
    assertThat(baseline).isInstanceOf(FloatCheckpointReady.class);
    assertThat(((FloatCheckpointReady) baseline).baseline()).isTrue();
    QatEvent next = awaitEvent(FleetPrincipal.TRAINER, Topics.TRAIN, job);
    assertThat(next).isInstanceOf(TrainRequested.class);
    assertThat(next.round()).isEqualTo(1);

    for (String topic : new String[] {Topics.MODELS, Topics.DEPLOY}) {
      assertThatThrownBy(
              () ->
                  SecuredKafkaBrokerResource.send(
                      FleetPrincipal.TRAINER, topic, job, CODEC.encode(submitted)))
          .as("trainer writing " + topic)
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(TopicAuthorizationException.class);
    }
  }

  private static QatEvent awaitEvent(FleetPrincipal as, String topic, String job) throws Exception {
    byte[] value =
        SecuredKafkaBrokerResource.awaitRecord(as, topic, r -> job.equals(r.key()), WAIT)
            .orElseThrow(() -> new AssertionError("nothing for job " + job + " on " + topic))
            .value();
    return CODEC.decode(value);
  }
}
