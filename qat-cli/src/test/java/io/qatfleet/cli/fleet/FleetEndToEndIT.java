package io.qatfleet.cli.fleet;

import static io.qatfleet.cli.fleet.FleetJobs.BITS_MISS;
import static io.qatfleet.cli.fleet.FleetJobs.CONSOLE_JOB;
import static io.qatfleet.cli.fleet.FleetJobs.FOLDER_TEST_PER_CLASS;
import static io.qatfleet.cli.fleet.FleetJobs.KILL_JOB;
import static io.qatfleet.cli.fleet.FleetJobs.PTQ_FIRST_JOB;
import static io.qatfleet.cli.fleet.FleetJobs.RETRAIN_JOB;
import static io.qatfleet.cli.fleet.FleetJobs.VICTIM_JOB;
import static io.qatfleet.cli.fleet.FleetJobs.expectedRetrainRemedy;
import static io.qatfleet.cli.fleet.FleetJobs.imageFolderJob;
import static io.qatfleet.cli.fleet.FleetProbe.APPROVED_IN_ROUND_1;
import static io.qatfleet.cli.fleet.FleetProbe.JOB_TIMEOUT;
import static io.qatfleet.cli.fleet.FleetProbe.progress;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.data.RgbImageFolders;
import io.qatfleet.core.data.SourceDigest;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.Remedy;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.event.ValidationCompleted;
import io.qatfleet.messaging.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole fleet as separate processes: a Kafka broker (KRaft, Kafka's own jars) and the three
 * packaged services. One job must fail its bar in round 1 because its bits are too low and pass in
 * round 2 by the send-back's remedy, which raises them; a {@code ptq_first} job must be approved
 * from round 0 without a QAT round; another must finish exactly once although its trainer is killed
 * with SIGKILL in the middle of training; a CNN on an RGB image folder named by path and digest
 * (data by reference) must be approved with the folder's digest and class names in its provenance,
 * and the same folder under a wrong digest refused.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetEndToEndIT {
  private static LocalFleet fleet;
  private static EventTail events;
  private static JobClient jobs;
  private static FleetProbe probe;

  @BeforeAll
  static void startFleet() throws Exception {
    Path root = Path.of(System.getProperty("qat.repo.root", "..")).toAbsolutePath().normalize();
    Path runDir = Files.createTempDirectory(root.resolve("qat-cli/target"), "e2e-");
    fleet = LocalFleet.start(root, runDir, null, 200);
    events = new EventTail(fleet.bootstrapServers(), Topics.EVENT_TOPICS);
    jobs = new JobClient(fleet.url("trainer-service"), fleet.token());
    probe = new FleetProbe(fleet, events, runDir);
  }

  @AfterAll
  static void stopFleet() {
    if (events != null) {
      events.close();
    }
    if (fleet != null) {
      fleet.close();
    }
  }

  @Test
  @Order(1)
  void retrainsAfterAFailedRoundThenApprovesAndRegisters() throws Exception {
    String jobId = jobs.submit(RETRAIN_JOB);
    probe.awaitEnd(jobId);

    List<QatEvent> flow = probe.decisions(jobId);
    assertThat(flow)
        .extracting(FleetProbe::describe)
        .containsExactly(
            "FloatCheckpointReady round 0 baseline",
            "TrainRequested round 1",
            "FloatCheckpointReady round 1",
            "QuantizedModelReady round 1",
            "ValidationCompleted round 1 RETRAIN",
            "RetrainRequested round 1 -> 2",
            "FloatCheckpointReady round 2",
            "QuantizedModelReady round 2",
            "ValidationCompleted round 2 PASS",
            "ModelApproved round 2");
    assertThat(probe.postTrainingQuantization(jobId))
        .extracting(FleetProbe::describe)
        .containsExactly("QuantizedModelReady round 0", "ValidationCompleted round 0 RETRAIN");

    // The send-back's remedy: round 1 trained no epochs, so round 2 trains max(1, qatEpochs = 0);
    // it missed the bar by points, so round 2 distils from the float baseline; and by at least
    // two layers' worth of the bits step (0.02 each), so both 2-bit layers go to 3 bits, the more
    // sensitive first, as round 1's report measured them at 2 bits.
    FloatCheckpointReady baseline = (FloatCheckpointReady) flow.get(0);
    ValidationCompleted failed = (ValidationCompleted) flow.get(4);
    RetrainRequested sendBack = (RetrainRequested) flow.get(5);
    assertThat(sendBack.epochs()).isEqualTo(1);
    Remedy remedy = sendBack.remedy();
    assertThat(remedy).isNotNull();
    assertThat(remedy.miss()).isGreaterThanOrEqualTo(2 * BITS_MISS);
    assertThat(remedy.distillation()).isNotNull();
    assertThat(remedy.teacher()).isEqualTo(baseline.checkpoint());
    assertThat(remedy.weightBits()).isEqualTo(Map.of("1", 3, "2", 3));
    assertThat(failed.sensitivityByLayer().values())
        .extracting(LayerSensitivity::bits)
        .containsExactly(8, 2, 2, 8);
    List<String> expected = expectedRetrainRemedy(failed, remedy.miss());
    assertThat(remedy.changes()).containsExactlyElementsOf(expected);
    // Round 2 ran with it: its spec says so all the way to the approval, its report measured the
    // raised layers at 3 bits, and the approved checkpoint's grids are 3-bit there.
    FloatCheckpointReady round2 = (FloatCheckpointReady) flow.get(6);
    assertThat(round2.spec().training().distillation()).isEqualTo(remedy.distillation());
    assertThat(round2.spec().training().qatEpochs()).isEqualTo(1);
    assertThat(round2.trainingMetrics()).containsEntry("epochsRun", 1.0);
    assertThat(round2.spec().quantization().resolve(4))
        .extracting(l -> l.weights().bits())
        .containsExactly(8, 3, 3, 8);
    assertThat(((ValidationCompleted) flow.get(8)).sensitivityByLayer().values())
        .extracting(LayerSensitivity::bits)
        .containsExactly(8, 3, 3, 8);
    assertThat(events.ofJob(jobId))
        .extracting(EventTail.Seen::event)
        .anySatisfy(
            e ->
                assertThat(e)
                    .isInstanceOfSatisfying(
                        StatusUpdate.class,
                        u ->
                            assertThat(u.message())
                                .contains("distilling from " + baseline.checkpoint().shortId())));
    // Every stage reported its CPU-seconds; the report states what retraining bought over PTQ.
    JobSummary summary = probe.summary(jobId);
    assertThat(summary.rounds()).extracting(RoundRow::round).containsExactly(0, 1, 2);
    assertThat(summary.rounds()).allSatisfy(r -> assertThat(r.cpuSeconds()).isPositive());
    assertThat(summary.rounds().get(2).remedy()).isEqualTo(remedy.changes());
    assertThat(summary.rounds().get(2).deltaPp()).isPositive();
    assertThat(RoundRow.retrainingValue(summary.rounds()))
        .hasValueSatisfying(line -> assertThat(line).contains("Retraining bought +"));
    ModelApproved approved = (ModelApproved) flow.get(flow.size() - 1);
    assertThat(approved.spec().training().distillation()).isEqualTo(remedy.distillation());
    assertThat(approved.spec().quantization().layers()).containsOnlyKeys("1", "2");
    assertThat(ModelCheckpoints.metadata(probe.approvedCheckpoint(approved)).layers())
        .extracting(l -> l.weights().bits())
        .containsExactly(8, 3, 3, 8);
    assertThat(approved.modelName()).isEqualTo("e2e-retrain");
    // Signed by the key pair the local fleet generated; its public key alone verifies it.
    assertThat(approved.keyId()).isNotBlank();
    probe.verifyApproval(approved);
    // Submitted with the local user's token: the job and its model name are the user's.
    probe.assertOwnedBy(jobId, "e2e-retrain", LocalAuth.localUser());
    assertThat(
            events.await(
                s ->
                    s.topic().equals(Topics.MODELS)
                        && "e2e-retrain".equals(s.key())
                        && s.event().jobId().equals(jobId),
                Duration.ofSeconds(30)))
        .as("registry entry on %s", Topics.MODELS)
        .isPresent();
  }

  /**
   * A {@code ptq_first} job whose post-training quantization meets the bar: the trainer asks for no
   * QAT round after the baseline, the validator judges round 0 and approves it, signed and
   * registered, and nothing else of the job follows.
   */
  @Test
  @Order(2)
  void approvesPostTrainingQuantizationWithoutQatUnderPtqFirst() throws Exception {
    String jobId = jobs.submit(PTQ_FIRST_JOB);
    probe.awaitEnd(jobId);

    assertThat(probe.decisions(jobId))
        .extracting(FleetProbe::describe)
        .containsExactly("FloatCheckpointReady round 0 baseline", "ModelApproved round 0");
    assertThat(probe.postTrainingQuantization(jobId))
        .extracting(FleetProbe::describe)
        .containsExactly("QuantizedModelReady round 0", "ValidationCompleted round 0 PASS");
    assertThat(events.ofJob(jobId))
        .extracting(EventTail.Seen::event)
        .noneMatch(e -> e instanceof TrainRequested || e instanceof RetrainRequested)
        .noneMatch(e -> e instanceof FloatCheckpointReady f && !f.baseline())
        .noneMatch(e -> e.round() > 0);
    ModelApproved approved =
        (ModelApproved) probe.decisions(jobId).get(probe.decisions(jobId).size() - 1);
    assertThat(approved.round()).isZero();
    assertThat(approved.modelName()).isEqualTo("e2e-ptq-first");
    assertThat(approved.spec().ptqFirst()).isTrue();
    probe.verifyApproval(approved);
    JobSummary summary = probe.summary(jobId);
    assertThat(summary.rounds()).extracting(RoundRow::round).containsExactly(0);
    assertThat(summary.headline())
        .startsWith("APPROVED as e2e-ptq-first v")
        .contains("from post-training quantization (round 0), no QAT round");
    assertThat(summary.rounds().get(0).cpuSeconds()).isPositive();
    assertThat(
            events.await(
                s ->
                    s.topic().equals(Topics.MODELS)
                        && "e2e-ptq-first".equals(s.key())
                        && s.event() instanceof ModelApproved m
                        && m.jobId().equals(jobId)
                        && m.round() == 0,
                Duration.ofSeconds(30)))
        .as("registry entry of round 0 on %s", Topics.MODELS)
        .isPresent();
  }

  @Test
  @Order(3)
  void finishesExactlyOnceWhenTheTrainerIsKilledMidRound() throws Exception {
    String jobId = jobs.submit(KILL_JOB);
    probe.assertBaselineReachesSecondEpoch(jobId);
    Instant killedAt = Instant.now();
    fleet.kill("trainer-service");
    fleet.restart("trainer-service");
    probe.awaitEnd(jobId);

    assertThat(probe.decisions(jobId))
        .extracting(FleetProbe::describe)
        .containsExactly(APPROVED_IN_ROUND_1);
    assertThat(probe.postTrainingQuantization(jobId))
        .extracting(FleetProbe::describe)
        .containsExactly("QuantizedModelReady round 0", "ValidationCompleted round 0 PASS");
    // The restarted trainer resumed the baseline instead of starting it again: it announced the
    // epochs it found done (at least the first: the kill came during the second), and none of its
    // progress statuses of round 0 is about epoch 1 again (the quantizer's calibration of round 0,
    // post-training quantization, counts its own epochs).
    List<StatusUpdate> afterKill = probe.baselineEpochsAfter(jobId, killedAt);
    assertThat(afterKill)
        .filteredOn(u -> u.message().startsWith("resuming after epoch"))
        .singleElement()
        .satisfies(u -> assertThat(u.epoch()).isGreaterThanOrEqualTo(1));
    assertThat(afterKill)
        .filteredOn(u -> !u.message().startsWith("resuming"))
        .extracting(StatusUpdate::epoch)
        .isNotEmpty()
        .allMatch(e -> e >= 2);
  }

  /**
   * An outsider who can write the work topics (the local broker has no ACLs) learns a new job's id
   * and, while its baseline trains, puts a TrainRequested for its round 1 on qat.train, with a
   * start checkpoint of its choosing and no epochs. The trainer dead-letters it before its ledger
   * sees it (no fleet seal), and the job still runs the round the fleet asks for and is approved
   * exactly once.
   */
  @Test
  @Order(4)
  void deadLettersForgedTrainRequestAndApprovesTheVictimExactlyOnce() throws Exception {
    String jobId = jobs.submit(VICTIM_JOB);
    JobSubmitted submitted = probe.awaitSubmitted(jobId);
    CheckpointRef planted = CheckpointRef.of("attacker's weights".getBytes(StandardCharsets.UTF_8));
    TrainRequested forged =
        new TrainRequested(
            QatEvent.newEventId(),
            jobId,
            1,
            planted,
            Instant.now(),
            submitted.spec(),
            "first QAT round",
            0,
            0.0005,
            planted);
    probe.publish(Topics.TRAIN, jobId, forged);

    assertThat(
            events.await(
                s ->
                    s.event() instanceof DeadLetter d
                        && d.jobId().equals(jobId)
                        && d.errorType().equals("UNSEALED_EVENT")
                        && d.sourceTopic().equals(Topics.TRAIN),
                Duration.ofMinutes(2)))
        .as("the forged request dead-lettered as unsealed")
        .isPresent();
    probe.awaitEnd(jobId);
    assertThat(probe.decisions(jobId))
        .filteredOn(e -> !e.eventId().equals(forged.eventId()))
        .extracting(FleetProbe::describe)
        .containsExactly(APPROVED_IN_ROUND_1);
    assertThat(probe.postTrainingQuantization(jobId))
        .extracting(FleetProbe::describe)
        .containsExactly("QuantizedModelReady round 0", "ValidationCompleted round 0 PASS");
    assertThat(probe.decisions(jobId))
        .filteredOn(e -> e instanceof FloatCheckpointReady f && !f.baseline())
        .singleElement()
        .satisfies(
            round ->
                assertThat(((FloatCheckpointReady) round).trainingMetrics())
                    .containsEntry("epochsRun", 1.0));
  }

  /**
   * After the jobs above: each service's readiness includes its Kafka channels, and it exports its
   * stage metrics and Kafka client metrics.
   */
  @Test
  @Order(5)
  void exposesKafkaReadinessStageAndKafkaClientMetrics() throws Exception {
    for (String service : LocalFleet.START_ORDER) {
      assertThat(probe.get(service, "/q/health/ready"))
          .contains("SmallRye Reactive Messaging - readiness check")
          .contains("\"status\": \"UP\"");
    }
    assertThat(probe.metrics("trainer-service"))
        .contains("qat_train_duration_seconds_count")
        .contains("kafka_consumer_");
    assertThat(probe.metrics("quantizer-service"))
        .contains("qat_quantize_duration_seconds_count")
        .contains("kafka_consumer_");
    assertThat(probe.metrics("validator-service"))
        .contains("qat_validate_decisions_total{outcome=\"pass\"")
        .contains("qat_validate_decisions_total{outcome=\"retrain\"")
        .contains("kafka_consumer_");
  }

  /** The packaged trainer wants a token, and serves health only on its management port. */
  @Test
  @Order(6)
  void refusesAnonymousJobAndKeepsHealthOffTheApiPort() throws Exception {
    assertThatThrownBy(() -> new JobClient(fleet.url("trainer-service"), null).submit(KILL_JOB))
        .isInstanceOf(JobClient.JobApiException.class)
        .hasMessageContaining("HTTP 401");
    assertThat(probe.apiStatus("trainer-service", "/q/health/ready")).isEqualTo(404);
  }

  /**
   * The web console in a headless chromium, signed in with an operator token: a job submitted
   * through the API appears, runs and reaches approved on the page (live, over the event stream),
   * with its rounds, loss curve and confusion matrices under the dataset's class names; then a
   * fleet insider's progress event whose job id, stage and message are markup shows as text, and
   * none of it runs. The window is saved as {@code qat-cli/target/console.png} (the README's
   * docs/console.png).
   */
  @Test
  @Order(7)
  void consoleShowsAJobLiveUntilApprovedAndHostileTextAsText() throws Exception {
    String operator =
        LocalAuth.local().mint(LocalAuth.localUser(), "operator", Duration.ofHours(1));
    try (ConsoleBrowser browser = ConsoleBrowser.open(fleet.url("trainer-service"))) {
      assertThat(browser.title()).isEqualTo("qat-fleet console");
      browser.signIn(operator, Duration.ofSeconds(30));
      String jobId = jobs.submit(CONSOLE_JOB);
      browser.awaitJob(jobId, Duration.ofSeconds(30));
      assertThat(browser.cell(jobId, "job-name")).isEqualTo("e2e-console");
      browser.awaitStage(jobId, "approved", JOB_TIMEOUT);

      browser.openJob(jobId, Duration.ofSeconds(30));
      assertThat(browser.text("#confusion")).contains("T-shirt/top").contains("Ankle boot");
      assertThat(browser.text("#rounds")).contains("Round 1").contains("approved: e2e-console v");
      assertThat(browser.count("#loss-chart svg polyline")).isGreaterThanOrEqualTo(2);
      assertThat(browser.text("#models")).contains("e2e-console");
      browser.screenshot(
          Path.of(System.getProperty("qat.repo.root", ".."), "qat-cli/target/console.png"));

      String hostileId = "<img src=x onerror=window.__pwned=1>";
      String script = "<script>window.__pwned=2</script>";
      probe.publishSealed(Topics.STATUS, hostileId, progress(hostileId, "<b>bold</b>", script));
      browser.awaitJob(hostileId, Duration.ofSeconds(30));
      assertThat(browser.cellTitle(hostileId, "job-id")).isEqualTo(hostileId);
      assertThat(browser.cell(hostileId, "stage")).isEqualTo("<b>bold</b>");
      assertThat(browser.text("#jobs")).contains(script);
      assertThat(browser.count("#jobs img, #jobs b, #jobs script")).isZero();
      assertThat(browser.script("return typeof window.__pwned")).isEqualTo("undefined");
    }
  }

  /**
   * A job whose {@code data.source.sha256} is not the image folder's digest is refused at {@code
   * POST /jobs} (400, naming the field, both digests), before any event; the services stay up and
   * ready.
   */
  @Test
  @Order(8)
  void refusesImageFolderUnderAWrongDigestAndStaysUp() throws Exception {
    Path folder = probe.imageFolder();
    String digest = SourceDigest.of(folder);
    String wrong =
        HexFormat.of()
            .formatHex(
                MessageDigest.getInstance("SHA-256")
                    .digest("not this folder".getBytes(StandardCharsets.UTF_8)));
    assertThat(wrong).isNotEqualTo(digest);

    assertThatThrownBy(() -> jobs.submit(imageFolderJob("e2e-image-folder-wrong", folder, wrong)))
        .isInstanceOf(JobClient.JobApiException.class)
        .hasMessageStartingWith("invalid job spec: data.source.sha256: ")
        .hasMessageContaining("has digest " + digest)
        .hasMessageContaining("the spec expects " + wrong);
    assertThat(events.seen())
        .extracting(EventTail.Seen::event)
        .noneMatch(
            e -> e instanceof JobSubmitted j && j.spec().name().equals("e2e-image-folder-wrong"));
    fleet.requireAlive();
    for (String service : LocalFleet.START_ORDER) {
      assertThat(probe.get(service, "/q/health/ready")).contains("\"status\": \"UP\"");
    }
  }

  /**
   * Your own model and data through the whole fleet: a ResNet-8 job on the image folder runs every
   * stage (float training, QAT, projection with batch norm folded, the integer engine's residual
   * adds, the ONNX export) to an approval; the validator reports the folder names as class names
   * and evaluated the folder's test split, the integer model is far above chance, and the approved
   * checkpoint's provenance carries the folder's digest and class names.
   */
  @Test
  @Order(9)
  void approvesResnet8TrainedOnImageFolderByReference() throws Exception {
    Path folder = probe.imageFolder();
    String digest = SourceDigest.of(folder);
    List<String> classes = RgbImageFolders.CLASS_NAMES;
    String jobId = jobs.submit(imageFolderJob("e2e-image-folder", folder, digest));
    probe.awaitEnd(jobId);

    List<QatEvent> flow = probe.decisions(jobId);
    assertThat(flow).extracting(FleetProbe::describe).containsExactly(APPROVED_IN_ROUND_1);
    assertThat(probe.postTrainingQuantization(jobId))
        .extracting(FleetProbe::describe)
        .containsExactly("QuantizedModelReady round 0", "ValidationCompleted round 0 PASS");

    ValidationCompleted validation = (ValidationCompleted) flow.get(4);
    assertThat(validation.classNames()).isEqualTo(classes);
    int testImages = classes.size() * FOLDER_TEST_PER_CLASS;
    assertThat(validation.quantizedConfusion())
        .as("the quantized confusion matrix counts the folder's test images, per class")
        .hasSize(classes.size())
        .allSatisfy(
            row ->
                assertThat(row.stream().mapToInt(Integer::intValue).sum())
                    .isEqualTo(FOLDER_TEST_PER_CLASS));
    // A model guessing at random is right with probability 1/k on each of n test images: its
    // accuracy has mean 1/k and standard deviation sqrt(p(1-p)/n) (0.031 for 4 classes and 200
    // images). The bar is twice chance and at least six standard deviations above it.
    double chance = 1.0 / classes.size();
    double sd = Math.sqrt(chance * (1 - chance) / testImages);
    double bar = Math.max(2 * chance, chance + 6 * sd);
    System.out.printf(
        Locale.ROOT,
        "resnet8 on an image folder by reference: float accuracy %.4f, integer %.4f, bar %.4f"
            + " (chance %.2f)%n",
        validation.floatMetrics().get("accuracy"),
        validation.quantizedMetrics().get("accuracy"),
        bar,
        chance);
    assertThat(validation.quantizedMetrics().get("accuracy"))
        .as(
            "integer accuracy on %d test images of %d classes (chance %.2f)",
            testImages, classes.size(), chance)
        .isGreaterThan(bar);

    ModelApproved approved = (ModelApproved) flow.get(5);
    assertThat(approved.modelName()).isEqualTo("e2e-image-folder");
    assertThat(approved.spec().data().source().sha256()).isEqualTo(digest);
    probe.verifyApproval(approved);
    Provenance provenance = probe.approvedCheckpoint(approved).provenance();
    assertThat(provenance.jobId()).isEqualTo(jobId);
    assertThat(provenance.datasetSha256()).isEqualTo(digest);
    assertThat(provenance.classNames()).isEqualTo(classes);
  }
}
