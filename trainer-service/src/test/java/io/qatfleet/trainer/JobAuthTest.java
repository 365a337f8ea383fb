package io.qatfleet.trainer;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelClaimed;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.testing.EventTopics;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.service.SealedEvents;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.smallrye.jwt.build.Jwt;
import jakarta.inject.Inject;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Who may use the job API and what they see: bearer tokens, roles, job ownership and model-name
 * ownership, against the real service. Each test uses model names of its own, since names stay
 * owned for the rest of the run (the broker is shared by every test class).
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
class JobAuthTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  @ConfigProperty(name = "qat.event-key")
  String eventKey;

  @Inject MeterRegistry meters;

  private EventTopics topics;

  @BeforeEach
  void connect() {
    topics = new EventTopics(bootstrapServers, eventKey);
  }

  @AfterEach
  void disconnect() {
    topics.close();
  }

  private static String spec(String name) {
    return TestJobs.named(name).toJson();
  }

  private static String submit(String token, String name, int expectedStatus) {
    return TestTokens.as(token)
        .contentType(ContentType.JSON)
        .body(spec(name))
        .post("/jobs")
        .then()
        .statusCode(expectedStatus)
        .extract()
        .body()
        .asString();
  }

  private static String submitted(String token, String name) {
    return TestTokens.as(token)
        .contentType(ContentType.JSON)
        .body(spec(name))
        .post("/jobs")
        .then()
        .statusCode(202)
        .extract()
        .path("jobId");
  }

  private static List<String> listedJobIds(String token) {
    return TestTokens.as(token)
        .get("/jobs")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("jobId", String.class);
  }

  @Test
  void rejectsAnonymousSubmission() {
    given()
        .contentType(ContentType.JSON)
        .body(spec("auth-anonymous"))
        .post("/jobs")
        .then()
        .statusCode(401);
    given().get("/jobs").then().statusCode(401);
  }

  @Test
  void rejectsTokenSignedWithAnotherKey() throws NoSuchAlgorithmException {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    String forged =
        Jwt.issuer(TestTokens.ISSUER)
            .subject("mallory")
            .groups(Set.of("operator"))
            .sign(rsa.generateKeyPair().getPrivate());

    submit(forged, "auth-forged", 401);
  }

  @Test
  void rejectsTokenOfAnotherIssuer() {
    String foreign = Jwt.issuer("someone-else").subject("alice").groups(Set.of("submitter")).sign();

    submit(foreign, "auth-foreign-issuer", 401);
  }

  @Test
  void refusesSubmissionByRoleThatMayNotSubmit() {
    submit(TestTokens.token("viewer", "viewer"), "auth-wrong-role", 403);
    TestTokens.as(TestTokens.token("viewer", "viewer")).get("/jobs").then().statusCode(403);
  }

  @Test
  void recordsSubmitterAsOwnerOfJobAndModelName() {
    String jobId = submitted(TestTokens.submitter("carol"), "auth-carol-model");

    JobSubmitted job =
        topics.await(Topics.JOBS, JobSubmitted.class, e -> e.jobId().equals(jobId), 1, WAIT).get(0);
    assertThat(job.owner()).isEqualTo("carol");
    ModelClaimed claim =
        topics
            .await(
                Topics.OWNERS,
                ModelClaimed.class,
                c -> c.modelName().equals("auth-carol-model"),
                1,
                WAIT)
            .get(0);
    assertThat(claim.owner()).isEqualTo("carol");
    assertThat(claim.jobId()).isEqualTo(jobId);
    String owner =
        TestTokens.as(TestTokens.submitter("carol"))
            .get("/jobs/" + jobId)
            .then()
            .statusCode(200)
            .extract()
            .path("owner");
    assertThat(owner).isEqualTo("carol");
  }

  @Test
  void refusesSecondSubmitterOfRegisteredModelName() {
    submitted(TestTokens.submitter("alice"), "auth-m");

    String refusal = submit(TestTokens.submitter("bob"), "auth-m", 403);

    assertThat(refusal)
        .contains("model name 'auth-m' is registered to another owner")
        .contains("a model name belongs to the owner (token claim 'sub') of the first job");
    // The owner herself may go on submitting jobs for her model.
    submitted(TestTokens.submitter("alice"), "auth-m");
  }

  /**
   * An outsider squats a model name by writing a ModelClaimed straight onto qat.owners. The claim
   * carries no fleet seal, so the trainer's view skips it (and counts it) and the name's first real
   * submitter gets it.
   */
  @Test
  void ignoresUnsealedClaimOfAModelName() {
    double skippedBefore = unsealedSkipped();
    ModelClaimed squat =
        new ModelClaimed(
            QatEvent.newEventId(),
            UUID.randomUUID().toString(),
            0,
            null,
            Instant.now(),
            "auth-squatted",
            "mallory");
    topics.sendAsIs(
        new ProducerRecord<>(Topics.OWNERS, "auth-squatted", new EventCodec().encode(squat)));
    EventTopics.waitUntil(
        this::unsealedSkipped, n -> n >= skippedBefore + 1, Duration.ofMillis(100), WAIT);

    submitted(TestTokens.submitter("erin"), "auth-squatted");

    submit(TestTokens.submitter("mallory"), "auth-squatted", 403);
  }

  private double unsealedSkipped() {
    return meters.counter(SealedEvents.UNSEALED_METRIC, "service", "trainer-service").count();
  }

  @Test
  void letsOperatorSubmitForAnyModelName() {
    submitted(TestTokens.submitter("dave"), "auth-dave-model");

    submitted(TestTokens.operator("ops"), "auth-dave-model");
  }

  @Test
  void showsSubmitterOnlyOwnJobsAndOperatorAll() {
    String erins = submitted(TestTokens.submitter("erin"), "auth-erin-model");
    String franks = submitted(TestTokens.submitter("frank"), "auth-frank-model");

    assertThat(listedJobIds(TestTokens.submitter("erin"))).contains(erins).doesNotContain(franks);
    assertThat(listedJobIds(TestTokens.submitter("frank"))).contains(franks).doesNotContain(erins);
    assertThat(listedJobIds(TestTokens.operator("ops"))).contains(erins, franks);
  }

  @Test
  void hidesAnotherSubmittersJobAsNotFound() {
    String graces = submitted(TestTokens.submitter("grace"), "auth-grace-model");

    TestTokens.as(TestTokens.submitter("heidi")).get("/jobs/" + graces).then().statusCode(404);
    TestTokens.as(TestTokens.submitter("grace")).get("/jobs/" + graces).then().statusCode(200);
    TestTokens.as(TestTokens.operator("ops")).get("/jobs/" + graces).then().statusCode(200);
  }
}
