package io.qatfleet.trainer;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.Decision;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.ThresholdResult;
import io.qatfleet.messaging.event.ThresholdSource;
import io.qatfleet.messaging.event.ValidationCompleted;
import io.qatfleet.messaging.testing.EventTopics;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.trainer.service.JobRounds;
import io.qatfleet.trainer.service.JobView;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The web console's side of the trainer: the page is public, every data endpoint wants the job
 * API's bearer token, the event stream carries each caller's own jobs as they change (read from the
 * fleet's topics), and a job's rounds carry every field of the round events, class names included.
 * Jobs here are put into the view directly (no training starts); their later events go through the
 * broker, sealed, as the fleet writes them.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
class ConsoleApiTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HOSTILE =
      "<script>window.pwned=1</script><img src=x onerror=alert(1)>";

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  @ConfigProperty(name = "qat.event-key")
  String eventKey;

  @TestHTTPResource("/jobs/updates")
  URI updates;

  @Inject JobView view;
  @Inject JobRounds rounds;

  private EventTopics topics;
  private final List<Stream<String>> streams = new ArrayList<>();

  @BeforeEach
  void connect() {
    topics = new EventTopics(bootstrapServers, eventKey);
  }

  @AfterEach
  void disconnect() {
    streams.forEach(Stream::close);
    topics.close();
  }

  @Test
  void servesThePageWithoutAToken() {
    given()
        .get("/console/")
        .then()
        .statusCode(200)
        .contentType(containsString("text/html"))
        .body(containsString("qat-fleet console"));
    given().get("/console/console.js").then().statusCode(200).body(containsString("Authorization"));
  }

  @Test
  void refusesEveryDataEndpointWithoutAToken() {
    for (String path :
        List.of("/jobs/updates", "/jobs/" + UUID.randomUUID() + "/rounds", "/models")) {
      given().get(path).then().statusCode(401);
    }
    given().get("/dead-letters").then().statusCode(401);
    given()
        .auth()
        .oauth2(TestTokens.submitter("console-eve"))
        .get("/dead-letters")
        .then()
        .statusCode(403);
  }

  @Test
  void streamsChangesOfTheCallersOwnJobs() throws Exception {
    BlockingQueue<JsonNode> ann = open(TestTokens.submitter("console-ann"));
    BlockingQueue<JsonNode> bob = open(TestTokens.submitter("console-bob"));
    String annJob = submitted("console-ann");
    StatusUpdate hostile =
        new StatusUpdate(
            QatEvent.newEventId(),
            annJob,
            0,
            null,
            Instant.now(),
            "baseline",
            0.5,
            HOSTILE,
            1,
            0.75,
            100.0);
    topics.send(Topics.STATUS, hostile);

    JsonNode progress =
        next(ann, j -> j.path("progress").path("eventId").asText().equals(hostile.eventId()));
    assertThat(progress.path("jobId").asText()).isEqualTo(annJob);
    assertThat(progress.path("stage").asText()).isEqualTo("baseline");
    // The stream carries the text as it is; the page shows it as text (ConsoleBrowserIT).
    assertThat(progress.path("progress").path("message").asText()).isEqualTo(HOSTILE);

    // Changes reach every stream in order: bob's first job is his own, not ann's earlier one.
    String bobJob = submitted("console-bob");
    assertThat(next(bob, j -> true).path("jobId").asText()).isEqualTo(bobJob);
  }

  /**
   * A job's progress read before its submission (the view's consumers read their topics
   * independently) still makes the job and reaches the stream (it was skipped with a
   * NullPointerException: no stage yet).
   */
  @Test
  void showsAJobWhoseProgressArrivesBeforeItsSubmission() throws Exception {
    BlockingQueue<JsonNode> ops = open(TestTokens.operator("console-ops"));
    String jobId = UUID.randomUUID().toString();
    topics.send(
        Topics.STATUS,
        new StatusUpdate(
            QatEvent.newEventId(),
            jobId,
            0,
            null,
            Instant.now(),
            "baseline",
            0.1,
            "",
            1,
            2.3,
            10.0));

    JsonNode job = next(ops, j -> j.path("jobId").asText().equals(jobId));
    assertThat(job.path("stage").asText()).isEqualTo("baseline");
    given()
        .auth()
        .oauth2(TestTokens.operator("console-ops"))
        .get("/jobs/" + jobId + "/rounds")
        .then()
        .statusCode(200)
        .body(containsString("\"loss\":2.3"));
  }

  @Test
  void answersRoundsWithClassNamesAndEveryFieldOfTheRoundEvents() throws Exception {
    String jobId = submitted("console-carol");
    ValidationCompleted report =
        new ValidationCompleted(
            QatEvent.newEventId(),
            jobId,
            1,
            CheckpointRef.of(new byte[] {1}),
            Instant.now(),
            Map.of("accuracy", 0.80),
            Map.of("accuracy", 0.70),
            List.of(
                new ThresholdResult(
                    "accuracy", new MetricThreshold(null, 0.05, null), 0.80, 0.70, false)),
            0.999,
            Decision.RETRAIN,
            List.of(List.of(8, 2), List.of(1, 9)),
            List.of(List.of(7, 3), List.of(3, 7)),
            ThresholdSource.SPEC);
    topics.send(Topics.STATUS, report);
    // A send-back is the trainer's own work; put it into the rounds as the qat.train view would.
    rounds.apply(
        new RetrainRequested(
            QatEvent.newEventId(),
            jobId,
            1,
            CheckpointRef.of(new byte[] {1}),
            Instant.now(),
            spec("console-carol"),
            HOSTILE,
            2,
            2,
            5e-4));
    String token = TestTokens.submitter("console-carol");

    JsonNode body =
        awaitRounds(token, jobId, r -> r.path("rounds").path("1").has("ValidationCompleted"));
    assertThat(body.path("dataset").asText()).isEqualTo("fashion-mnist");
    assertThat(body.path("classNames").get(0).asText()).isEqualTo("T-shirt/top");
    assertThat(body.path("classNames").get(9).asText()).isEqualTo("Ankle boot");
    JsonNode round = body.path("rounds").path("1");
    assertThat(round.path("ValidationCompleted").path("quantizedConfusion").get(1).get(1).asInt())
        .isEqualTo(7);
    assertThat(
            round
                .path("ValidationCompleted")
                .path("thresholdResults")
                .get(0)
                .path("passed")
                .asBoolean())
        .isFalse();
    assertThat(round.path("RetrainRequested").path("reason").asText()).isEqualTo(HOSTILE);
    assertThat(round.path("RetrainRequested").path("nextRound").asInt()).isEqualTo(2);

    given()
        .auth()
        .oauth2(TestTokens.submitter("console-mallory"))
        .get("/jobs/" + jobId + "/rounds")
        .then()
        .statusCode(404);
  }

  @Test
  void listsApprovalsOfModelsTheCallerMaySee() {
    String jobId = submitted("console-dave");
    view.apply(
        new ModelApproved(
            QatEvent.newEventId(),
            jobId,
            1,
            CheckpointRef.of(new byte[] {2}),
            Instant.now(),
            "console-dave-model",
            1,
            Map.of("accuracy", 0.9),
            spec("console-dave"),
            CheckpointRef.of(new byte[] {3}),
            null,
            null,
            null,
            null,
            null));

    String models =
        given()
            .auth()
            .oauth2(TestTokens.operator("console-ops"))
            .get("/models")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    assertThat(models).contains("\"name\":\"console-dave-model\"").contains("\"verified\":false");
    String others =
        given()
            .auth()
            .oauth2(TestTokens.submitter("console-erin"))
            .get("/models")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    assertThat(others).doesNotContain("console-dave-model");
  }

  @Test
  void listsDeadLettersWithTheirReasonsForOperators() {
    String jobId = "console-" + UUID.randomUUID();
    DeadLetter letter =
        new DeadLetter(
            QatEvent.newEventId(),
            jobId,
            0,
            null,
            Instant.now(),
            Topics.TRAIN,
            0,
            7L,
            "MALFORMED_JSON",
            HOSTILE,
            Base64.getEncoder().encodeToString("{".getBytes(StandardCharsets.UTF_8)),
            jobId);
    topics.send(Topics.DLQ, letter);

    given()
        .auth()
        .oauth2(TestTokens.operator("console-ops"))
        .queryParam("job", jobId)
        .get("/dead-letters")
        .then()
        .statusCode(200)
        .body(containsString(letter.eventId()))
        .body(containsString("MALFORMED_JSON"))
        .body(containsString("onerror=alert(1)"));
    given()
        .auth()
        .oauth2(TestTokens.operator("console-ops"))
        .queryParam("limit", 0)
        .get("/dead-letters")
        .then()
        .statusCode(400)
        .body(containsString("limit"));
  }

  /** A job of {@code owner}'s own model name, as read from qat.jobs (no training starts). */
  private String submitted(String owner) {
    String jobId = UUID.randomUUID().toString();
    JobSubmitted job =
        new JobSubmitted(QatEvent.newEventId(), jobId, 0, null, Instant.now(), spec(owner), owner);
    rounds.apply(job);
    view.apply(job);
    return jobId;
  }

  private static JobSpec spec(String owner) {
    return TestJobs.named(owner + "-" + UUID.randomUUID().toString().substring(0, 8));
  }

  /** The job summaries of {@code GET /jobs/updates} for {@code token}, as they arrive. */
  private BlockingQueue<JsonNode> open(String token) throws Exception {
    HttpResponse<Stream<String>> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(updates)
                    .header("Authorization", "Bearer " + token)
                    .header("Accept", "text/event-stream")
                    .build(),
                HttpResponse.BodyHandlers.ofLines());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
    streams.add(response.body());
    BlockingQueue<JsonNode> out = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                response
                    .body()
                    .filter(line -> line.startsWith("data:"))
                    .forEach(line -> out.add(parse(line.substring(5))));
              } catch (UncheckedIOException closed) {
                // the test is over and closed the stream
              }
            },
            "sse-reader");
    reader.setDaemon(true);
    reader.start();
    return out;
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode next(BlockingQueue<JsonNode> events, Predicate<JsonNode> match)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode e = events.poll(1, TimeUnit.SECONDS);
      if (e != null && match.test(e)) {
        return e;
      }
    }
    throw new AssertionError("no matching event on the stream within " + WAIT);
  }

  private static JsonNode awaitRounds(String token, String jobId, Predicate<JsonNode> done)
      throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonNode body = null;
    while (System.nanoTime() < deadline) {
      body =
          JSON.readTree(
              given()
                  .auth()
                  .oauth2(token)
                  .get("/jobs/" + jobId + "/rounds")
                  .then()
                  .statusCode(200)
                  .extract()
                  .asString());
      if (done.test(body)) {
        return body;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("rounds of " + jobId + " never complete: " + body);
  }
}
