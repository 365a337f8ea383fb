package io.qatfleet.trainer;

import static io.restassured.RestAssured.given;
import static io.restassured.RestAssured.oauth2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.testing.EventTopics;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.trainer.service.SourceChecks;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.builder.RequestSpecBuilder;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The trainer against specs that would exhaust it: through the job API (400 naming the cap) and as
 * a raw {@code JobSubmitted} on {@code qat.jobs} (dead letter with the reason, and the consumer
 * moves on to the next record).
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
class JobBudgetApiTest {

  private static final Duration WAIT = Duration.ofSeconds(120);

  /** 784*40,000 + 40,000 + 40,000^2 + 40,000 + 40,000*10 + 10 parameters. */
  private static final String HUGE_MLP_PARAMETERS = "1631840010";

  private static final String HUGE_MLP =
      "{\"name\": \"huge-mlp\", \"model\": {\"architecture\": \"mlp\","
          + " \"denseUnits\": [40000, 40000]}}";

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  @ConfigProperty(name = "qat.event-key")
  String eventKey;

  private EventTopics topics;
  private final EventCodec codec = new EventCodec();

  @BeforeEach
  void connectAsSubmitter() {
    RestAssured.requestSpecification =
        new RequestSpecBuilder().setAuth(oauth2(TestTokens.submitter("budget-test"))).build();
    topics = new EventTopics(bootstrapServers, eventKey);
  }

  @AfterEach
  void disconnect() {
    RestAssured.requestSpecification = null;
    topics.close();
  }

  @Test
  void rejectsImageFolderWhoseClassesAndCifarWhoseShapeDifferFromTheModel() throws Exception {
    Path folder = Files.createTempDirectory("qat-image-folder");
    for (String c : List.of("ant", "bee", "wasp")) {
      Path file = Files.createDirectories(folder.resolve(c)).resolve("1.png");
      ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY), "png", file.toFile());
    }
    assertThat(
            violations(
                "{\"name\": \"insects\", \"data\": {\"source\": {\"format\":"
                    + " \"imageFolder\", \"path\": \""
                    + folder
                    + "\"}, \"calibrationSize\": 1}}"))
        .containsExactly(
            "model.numClasses: must be the 3 classes of imageFolder:"
                + folder
                + " [ant, bee, wasp], got 10");
    Path cifar = Files.createTempDirectory("qat-cifar");
    Files.write(cifar.resolve("data_batch_1.bin"), new byte[2 * 3073]);
    Files.write(cifar.resolve("test_batch.bin"), new byte[3073]);
    assertThat(
            violations(
                "{\"name\": \"cifar\", \"data\": {\"source\": {\"format\": \"cifar10\","
                    + " \"path\": \""
                    + cifar
                    + "\"}, \"calibrationSize\": 1}}"))
        .containsExactly(
            "model.inputHeight x model.inputWidth x model.inputChannels: must be the 32x32x3"
                + " images of cifar10:"
                + cifar
                + ", got 28x28x1");
  }

  @Inject SourceChecks sourceChecks;

  @Test
  void answers429WhileTheTrainerRunsItsMostDataChecks() throws Exception {
    Path cifar = Files.createTempDirectory("qat-cifar");
    Files.write(cifar.resolve("data_batch_1.bin"), new byte[2 * 3073]);
    Files.write(cifar.resolve("test_batch.bin"), new byte[3073]);
    String body =
        "{\"name\": \"cifar\", \"data\": {\"source\": {\"format\": \"cifar10\", \"path\": \""
            + cifar
            + "\"}, \"calibrationSize\": 1}}";
    // Two other owners' checks hold both slots (qat.budget.max-concurrent-source-checks = 2).
    CountDownLatch started = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    List<Thread> holders = new ArrayList<>();
    for (String owner : List.of("holder-1", "holder-2")) {
      Thread t =
          new Thread(
              () ->
                  sourceChecks.run(
                      owner,
                      () -> {
                        started.countDown();
                        try {
                          release.await();
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        return List.of();
                      }));
      t.start();
      holders.add(t);
    }
    try {
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
      given()
          .contentType(ContentType.JSON)
          .body(body)
          .post("/jobs")
          .then()
          .statusCode(429)
          .header("Retry-After", "30")
          .body("reason", containsString("qat.budget.max-concurrent-source-checks = 2"));
      // A built-in dataset needs no slot.
      assertThat(violations(HUGE_MLP)).isNotEmpty();
    } finally {
      release.countDown();
      for (Thread t : holders) {
        t.join();
      }
    }
    // The slots are free again: the same spec is checked (and refused for its shape).
    assertThat(violations(body)).hasSize(1);
  }

  @Test
  void rejectsFortyThousandUnitMlpNamingParameterCap() {
    assertThat(violations(HUGE_MLP))
        .contains(
            "model: "
                + HUGE_MLP_PARAMETERS
                + " parameters exceed the cap of 10000000 (qat.budget.max-parameters)");
  }

  @Test
  void rejectsSixtyFourConvLayersNamingTheLimit() {
    String body =
        "{\"name\": \"deep-cnn\", \"model\": {\"convChannels\": ["
            + String.join(",", Collections.nCopies(64, "8"))
            + "]}}";

    assertThat(violations(body))
        .contains(
            "model.convChannels: at most 30 conv layers (each halves the input with a 2x2 pool),"
                + " got 64")
        .contains(
            "model.convChannels + model.denseUnits: 65 hidden layers exceed the cap of 16"
                + " (qat.budget.max-layers)");
  }

  @Test
  void rejectsLayerGraphsThatLoopOrRunLongNamingTheLayer() {
    String loop =
        "{\"name\": \"loop\", \"model\": {\"layers\": ["
            + "{\"type\": \"conv2d\", \"filters\": 8, \"input\": \"later\"},"
            + "{\"type\": \"relu\", \"name\": \"later\"}, {\"type\": \"flatten\"},"
            + " {\"type\": \"dense\"}]}}";
    String endless =
        "{\"name\": \"endless\", \"model\": {\"layers\": ["
            + String.join(",", Collections.nCopies(10_000, "{\"type\": \"relu\"}"))
            + "]}}";

    assertThat(violations(loop))
        .containsExactly(
            "model.layers[0] (conv2d0).input: \"later\" is not an earlier layer (a layer reads"
                + " only earlier ones)");
    assertThat(violations(endless)).contains("model.layers: at most 256 layers, got 10000");
  }

  @Test
  void rejectsBillionEpochsNamingEpochCap() {
    String body = "{\"name\": \"forever\", \"training\": {\"qatEpochs\": 1000000000}}";

    assertThat(violations(body))
        .contains(
            "training.qatEpochs: 1000000000 epochs exceed the cap of 100 (qat.budget.max-epochs)");
  }

  @Test
  void rejectsClassCountOtherThanDatasets() {
    String body = "{\"name\": \"cifar100ish\", \"model\": {\"numClasses\": 100}}";

    assertThat(violations(body))
        .contains("model.numClasses: must be the 10 classes of Fashion-MNIST, got 100");
  }

  @Test
  void deadLettersOverBudgetJobSubmittedAndKeepsConsuming() {
    String hugeJob = UUID.randomUUID().toString();
    String deepJob = UUID.randomUUID().toString();
    String longJob = UUID.randomUUID().toString();
    String tinyJob = UUID.randomUUID().toString();
    String tinyJson = encode(submitted(tinyJob, TestJobs.tiny(1)));
    assertThat(tinyJson).contains("\"convChannels\":[4,8]").contains("\"floatEpochs\":1,");

    // The MLP is a valid spec, so it is a JobSubmitted; the other two fail the spec's own checks.
    topics.send(Topics.JOBS, submitted(hugeJob, JobSpec.fromJson(HUGE_MLP)));
    topics.send(
        Topics.JOBS,
        deepJob,
        tinyJson
            .replace(tinyJob, deepJob)
            .replace(
                "\"convChannels\":[4,8]",
                "\"convChannels\":[" + String.join(",", Collections.nCopies(64, "4")) + "]")
            .getBytes(StandardCharsets.UTF_8));
    topics.send(
        Topics.JOBS,
        longJob,
        tinyJson
            .replace(tinyJob, longJob)
            .replace("\"floatEpochs\":1,", "\"floatEpochs\":1000000000,")
            .getBytes(StandardCharsets.UTF_8));
    topics.send(Topics.JOBS, tinyJob, tinyJson.getBytes(StandardCharsets.UTF_8));

    DeadLetter huge = deadLetter(hugeJob);
    assertThat(huge.errorType()).isEqualTo("OVER_BUDGET");
    assertThat(huge.reason())
        .contains(HUGE_MLP_PARAMETERS + " parameters exceed the cap of 10000000")
        .contains("qat.budget.max-parameters");
    assertThat(status(hugeJob).message()).contains("qat.budget.max-parameters");
    DeadLetter deep = deadLetter(deepJob);
    assertThat(deep.errorType()).isEqualTo("INVALID_FIELD");
    assertThat(deep.reason()).contains("at most 30 conv layers");
    DeadLetter forever = deadLetter(longJob);
    assertThat(forever.errorType()).isEqualTo("INVALID_FIELD");
    assertThat(forever.reason()).contains("training.floatEpochs: must be in 0..1000");
    // The trainer is still alive and consuming: the honest job behind them gets its baseline.
    topics.await(
        Topics.VALIDATE, FloatCheckpointReady.class, e -> e.jobId().equals(tinyJob), 1, WAIT);
  }

  @Test
  void failsJobWhoseQatRoundExceedsEpochCap() {
    // Retrains double the epochs: 2, 4, ..., 128 by round 7, over the cap of 100.
    String jobId = UUID.randomUUID().toString();
    CheckpointRef start = CheckpointRef.of(jobId.getBytes(StandardCharsets.UTF_8));
    topics.send(
        Topics.TRAIN,
        new TrainRequested(
            QatEvent.newEventId(),
            jobId,
            7,
            start,
            Instant.now(),
            TestJobs.tiny(1),
            "accuracy below the bar",
            128,
            TestJobs.QAT_LEARNING_RATE,
            start));

    JobFailed failed =
        topics.await(Topics.STATUS, JobFailed.class, e -> e.jobId().equals(jobId), 1, WAIT).get(0);
    assertThat(failed.round()).isEqualTo(7);
    assertThat(failed.reason())
        .contains("over budget: round 7: 128 epochs exceed the cap of 100 (qat.budget.max-epochs)");
  }

  private List<String> violations(String body) {
    return given()
        .contentType(ContentType.JSON)
        .body(body)
        .post("/jobs")
        .then()
        .statusCode(400)
        .extract()
        .jsonPath()
        .getList("violations", String.class);
  }

  private static JobSubmitted submitted(String jobId, JobSpec spec) {
    return new JobSubmitted(QatEvent.newEventId(), jobId, 0, null, Instant.now(), spec);
  }

  private String encode(QatEvent event) {
    return new String(codec.encode(event), StandardCharsets.UTF_8);
  }

  private DeadLetter deadLetter(String key) {
    return topics
        .await(Topics.DLQ, DeadLetter.class, d -> key.equals(d.originalKey()), 1, WAIT)
        .get(0);
  }

  private StatusUpdate status(String jobId) {
    return topics
        .await(
            Topics.STATUS,
            StatusUpdate.class,
            s -> s.jobId().equals(jobId) && s.stage().equals("error"),
            1,
            WAIT)
        .get(0);
  }
}
