package io.qatfleet.trainer;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.job.DataSpec;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.train.TrainingSpec;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobCancelled;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.testing.EventTopics;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.trainer.service.EpochCheckpoints;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code DELETE /jobs/{id}}: who may cancel, what reaches {@code qat.jobs}, and a running baseline
 * stopped before its next step with {@code JobFailed} on {@code qat.status}.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
class JobCancelTest {

  private static final Duration WAIT = Duration.ofSeconds(120);

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  @ConfigProperty(name = "qat.event-key")
  String eventKey;

  @ConfigProperty(name = "qat.state-dir")
  String stateDir;

  private EventTopics topics;

  @BeforeEach
  void connect() {
    topics = new EventTopics(bootstrapServers, eventKey);
  }

  @AfterEach
  void disconnect() {
    topics.close();
  }

  /** A job that trains for minutes: 100 epochs of 5,000 images. */
  private static String longJob(String name) {
    JobSpec tiny = TestJobs.tiny(1);
    TrainingSpec t = tiny.training();
    return new JobSpec(
            name,
            new DataSpec("fashion-mnist", 5000, 100, 100),
            tiny.model(),
            tiny.quantization(),
            new TrainingSpec(
                100,
                t.qatEpochs(),
                t.calibrationEpochs(),
                t.batchSize(),
                t.optimizer(),
                t.learningRate(),
                t.qatLearningRate(),
                t.calibrationLearningRate(),
                t.momentum(),
                t.schedule(),
                t.seed(),
                t.hardProjection()),
            null,
            2)
        .toJson();
  }

  private static String submit(String token, String body) {
    return given()
        .auth()
        .oauth2(token)
        .contentType(ContentType.JSON)
        .body(body)
        .post("/jobs")
        .then()
        .statusCode(202)
        .extract()
        .jsonPath()
        .getString("jobId");
  }

  @Test
  void stopsRunningBaselineAndFailsJob() {
    String jobId = submit(TestTokens.submitter("carol"), longJob("cancel-me"));
    topics.await(
        Topics.STATUS,
        StatusUpdate.class,
        s -> s.jobId().equals(jobId) && s.message().equals("float baseline started"),
        1,
        WAIT);

    given()
        .auth()
        .oauth2(TestTokens.submitter("carol"))
        .queryParam("reason", "wrong learning rate")
        .delete("/jobs/" + jobId)
        .then()
        .statusCode(202);

    JobCancelled cancelled =
        topics.await(Topics.JOBS, JobCancelled.class, e -> e.jobId().equals(jobId), 1, WAIT).get(0);
    assertThat(cancelled.cancelledBy()).isEqualTo("carol");
    assertThat(cancelled.reason()).isEqualTo("wrong learning rate");
    JobFailed failed =
        topics.await(Topics.STATUS, JobFailed.class, e -> e.jobId().equals(jobId), 1, WAIT).get(0);
    assertThat(failed.round()).isZero();
    assertThat(failed.reason()).contains("cancelled by carol").contains("wrong learning rate");
    assertThat(
            topics.readFor(
                Topics.VALIDATE,
                FloatCheckpointReady.class,
                e -> e.jobId().equals(jobId),
                Duration.ofSeconds(2)))
        .as("no baseline checkpoint after the cancellation")
        .isEmpty();
  }

  /** The epoch checkpoints a cancelled round saved go with it. */
  @Test
  void removesEpochCheckpointsOfCancelledRound() {
    String jobId = submit(TestTokens.submitter("carol"), longJob("cancel-saved"));
    topics.await(
        Topics.STATUS,
        StatusUpdate.class,
        s ->
            s.jobId().equals(jobId)
                && s.stage().equals("baseline")
                && s.message().endsWith("epoch done, checkpoint saved"),
        1,
        WAIT);
    Path saved = new EpochCheckpoints(Path.of(stateDir)).dir(jobId, 0, "baseline");
    assertThat(saved).exists();

    given()
        .auth()
        .oauth2(TestTokens.submitter("carol"))
        .delete("/jobs/" + jobId)
        .then()
        .statusCode(202);

    topics.await(Topics.STATUS, JobFailed.class, e -> e.jobId().equals(jobId), 1, WAIT);
    EventTopics.waitUntil(
        () -> Files.exists(saved), exists -> !exists, Duration.ofMillis(100), WAIT);
    assertThat(saved).doesNotExist();
  }

  @Test
  void letsOperatorCancelAnothersJob() {
    String jobId = submit(TestTokens.submitter("dave"), longJob("dave-model"));

    given()
        .auth()
        .oauth2(TestTokens.operator("ops"))
        .delete("/jobs/" + jobId)
        .then()
        .statusCode(202);

    JobFailed failed =
        topics.await(Topics.STATUS, JobFailed.class, e -> e.jobId().equals(jobId), 1, WAIT).get(0);
    assertThat(failed.reason()).contains("cancelled by ops");
  }

  @Test
  void hidesAnothersJobFromCancellation() {
    String jobId = submit(TestTokens.submitter("erin"), longJob("erin-model"));

    given()
        .auth()
        .oauth2(TestTokens.submitter("mallory"))
        .delete("/jobs/" + jobId)
        .then()
        .statusCode(404);
    given().auth().oauth2(TestTokens.submitter("erin")).delete("/jobs/" + jobId);
  }

  @Test
  void answers404ForUnknownJob() {
    given()
        .auth()
        .oauth2(TestTokens.operator("ops"))
        .delete("/jobs/no-such-job")
        .then()
        .statusCode(404);
  }
}
