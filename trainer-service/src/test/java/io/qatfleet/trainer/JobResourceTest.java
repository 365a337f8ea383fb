package io.qatfleet.trainer;

import static io.restassured.RestAssured.given;
import static io.restassured.RestAssured.oauth2;
import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.testing.EventTopics;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.builder.RequestSpecBuilder;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The job API: validation answers, and a submitted job's baseline reaching the next topics. */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
class JobResourceTest {

  private static final Duration WAIT = Duration.ofSeconds(120);

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  @ConfigProperty(name = "qat.event-key")
  String eventKey;

  private EventTopics topics;

  /** Every request of this class comes from one submitter, who owns the model "tiny-cnn". */
  @BeforeEach
  void authenticateAsSubmitter() {
    RestAssured.requestSpecification =
        new RequestSpecBuilder().setAuth(oauth2(TestTokens.submitter("job-api-test"))).build();
  }

  @AfterEach
  void forgetToken() {
    RestAssured.requestSpecification = null;
  }

  @BeforeEach
  void connect() {
    topics = new EventTopics(bootstrapServers, eventKey);
  }

  @AfterEach
  void disconnect() {
    topics.close();
  }

  @Test
  void rejectsSpecNamingEveryBadField() {
    String body =
        TestJobs.tinyJson()
            .replace("\"weightBits\":4", "\"weightBits\":0")
            .replace("\"learningRate\":0.001", "\"learningRate\":-0.5");
    assertThat(body).contains("\"weightBits\":0").contains("\"learningRate\":-0.5");

    List<String> violations =
        given()
            .contentType(ContentType.JSON)
            .body(body)
            .post("/jobs")
            .then()
            .statusCode(400)
            .extract()
            .jsonPath()
            .getList("violations", String.class);

    assertThat(violations)
        .anySatisfy(v -> assertThat(v).startsWith("quantization.weightBits").contains("0"))
        .anySatisfy(v -> assertThat(v).startsWith("training.learningRate").contains("-0.5"));
  }

  @Test
  void rejectsMalformedJsonAsViolation() {
    List<String> violations =
        given()
            .contentType(ContentType.JSON)
            .body("{\"name\": \"x\", ")
            .post("/jobs")
            .then()
            .statusCode(400)
            .extract()
            .jsonPath()
            .getList("violations", String.class);

    assertThat(violations).singleElement().asString().startsWith("body: not valid JSON");
  }

  @Test
  void rejectsUnknownFieldNamingIt() {
    List<String> violations =
        given()
            .contentType(ContentType.JSON)
            .body("{\"name\": \"x\", \"trainnig\": {}}")
            .post("/jobs")
            .then()
            .statusCode(400)
            .extract()
            .jsonPath()
            .getList("violations", String.class);

    assertThat(violations).singleElement().asString().startsWith("trainnig:");
  }

  @Test
  void answers404ForUnknownJob() {
    given().get("/jobs/no-such-job").then().statusCode(404);
  }

  @Test
  void submittedJobRunsBaselineThenFirstQatRound() {
    Response accepted =
        given().contentType(ContentType.JSON).body(TestJobs.tinyJson()).post("/jobs");
    assertThat(accepted.statusCode()).isEqualTo(202);
    String jobId = accepted.jsonPath().getString("jobId");

    JobSubmitted submitted =
        topics.await(Topics.JOBS, JobSubmitted.class, e -> e.jobId().equals(jobId), 1, WAIT).get(0);
    assertThat(submitted.spec()).isEqualTo(TestJobs.tiny(1));
    given().get("/jobs/" + jobId).then().statusCode(200);

    FloatCheckpointReady baseline =
        topics
            .await(
                Topics.VALIDATE, FloatCheckpointReady.class, e -> e.jobId().equals(jobId), 1, WAIT)
            .get(0);
    assertThat(baseline.round()).isZero();
    assertThat(baseline.baseline()).isTrue();

    TrainRequested first =
        topics
            .await(Topics.TRAIN, TrainRequested.class, e -> e.jobId().equals(jobId), 1, WAIT)
            .get(0);
    assertThat(first.round()).isEqualTo(1);
    assertThat(first.startFrom()).isEqualTo(baseline.checkpoint());
    assertThat(first.epochs()).isEqualTo(TestJobs.QAT_EPOCHS);
    assertThat(first.learningRate()).isEqualTo(TestJobs.QAT_LEARNING_RATE);

    // The baseline goes to the quantizer too, as round 0 (post-training quantization).
    FloatCheckpointReady ptq =
        topics
            .await(
                Topics.QUANTIZE,
                FloatCheckpointReady.class,
                e -> e.jobId().equals(jobId) && e.round() == 0,
                1,
                WAIT)
            .get(0);
    assertThat(ptq.baseline()).isTrue();
    assertThat(ptq.checkpoint()).isEqualTo(baseline.checkpoint());

    FloatCheckpointReady round1 =
        topics
            .await(
                Topics.QUANTIZE,
                FloatCheckpointReady.class,
                e -> e.jobId().equals(jobId) && e.round() == 1,
                1,
                WAIT)
            .get(0);
    assertThat(round1.baseline()).isFalse();
    assertThat(round1.checkpoint()).isNotEqualTo(baseline.checkpoint());

    String stage = given().get("/jobs/" + jobId).then().statusCode(200).extract().path("stage");
    assertThat(stage).isNotNull();
  }
}
