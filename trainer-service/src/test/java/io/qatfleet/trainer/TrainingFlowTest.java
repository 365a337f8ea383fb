package io.qatfleet.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.micrometer.core.instrument.MeterRegistry;
import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.SourceDigest;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.Strategy;
import io.qatfleet.core.json.Json;
import io.qatfleet.core.model.ModelInit;
import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import io.qatfleet.core.pipeline.QatPipeline;
import io.qatfleet.core.quant.QuantizationBudget;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.Distillation;
import io.qatfleet.messaging.approval.ApprovalKeys;
import io.qatfleet.messaging.approval.ApprovalSignature;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.Remedy;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.RetrainTriggered;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.ThresholdSource;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.integrity.EventSeal;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.testing.ApprovalKeyResource;
import io.qatfleet.messaging.testing.EventTopics;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.trainer.service.EpochCheckpoints;
import io.qatfleet.trainer.service.JobView;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The trainer's consumers against a real broker: idempotency, resume from an epoch checkpoint, dead
 * letters for bad input, and retraining triggers. Assertions are on what reached the topics.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(ApprovalKeyResource.class)
class TrainingFlowTest {

  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final Duration POLL = Duration.ofMillis(100);

  @Inject MeterRegistry registry;
  @Inject JobView jobView;

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  @ConfigProperty(name = "qat.event-key")
  String eventKey;

  private final EventCodec codec = new EventCodec();
  private EventTopics topics;

  @BeforeEach
  void connect() {
    topics = new EventTopics(bootstrapServers, eventKey);
  }

  @AfterEach
  void disconnect() {
    topics.close();
  }

  @Test
  void createsFleetTopicsWithTheirPartitions() throws Exception {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      Map<String, TopicDescription> topics =
          admin
              .describeTopics(List.of(Topics.JOBS, Topics.TRAIN, Topics.MODELS))
              .allTopicNames()
              .get(30, TimeUnit.SECONDS);
      assertThat(topics.get(Topics.JOBS).partitions()).hasSize(Topics.WORK_PARTITIONS);
      assertThat(topics.get(Topics.TRAIN).partitions()).hasSize(Topics.WORK_PARTITIONS);
      assertThat(topics.get(Topics.MODELS).partitions()).hasSize(1);
    }
  }

  @Test
  void trainsBaselineFromRgbImageFolderByReferenceAndRecordsItsDigestAndClasses() throws Exception {
    Path folder = Files.createTempDirectory("qat-rgb-folder");
    java.util.Random random = new java.util.Random(5);
    for (String c : List.of("blue", "red")) {
      for (int i = 0; i < 40; i++) {
        BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int p = 0; p < 64; p++) {
          int v = 128 + random.nextInt(128);
          image.setRGB(p % 8, p / 8, c.equals("red") ? v << 16 : v);
        }
        Path file = Files.createDirectories(folder.resolve(c)).resolve(i + ".png");
        ImageIO.write(image, "png", file.toFile());
      }
    }
    JobSpec spec =
        JobSpec.fromJson(
            "{\"name\": \"rgb\", \"data\": {\"source\": {\"format\": \"imageFolder\","
                + " \"path\": \""
                + folder
                + "\", \"sha256\": \""
                + SourceDigest.of(folder)
                + "\"}, \"calibrationSize\": 8},"
                + " \"model\": {\"convChannels\": [4], \"denseUnits\": [], \"inputHeight\": 8,"
                + " \"inputWidth\": 8, \"inputChannels\": 3, \"numClasses\": 2},"
                + " \"training\": {\"floatEpochs\": 1, \"batchSize\": 16, \"seed\": 3}}");
    assertThat(spec.violations()).isEmpty();
    String jobId = UUID.randomUUID().toString();

    topics.send(Topics.JOBS, submitted(jobId, spec, null));

    FloatCheckpointReady baseline =
        topics
            .await(
                Topics.VALIDATE, FloatCheckpointReady.class, e -> e.jobId().equals(jobId), 1, WAIT)
            .get(0);
    Provenance provenance = fetchCheckpoint(baseline.checkpoint()).provenance();
    assertThat(provenance.dataset()).isEqualTo("imageFolder:" + folder);
    assertThat(provenance.datasetSha256()).isEqualTo(SourceDigest.of(folder));
    assertThat(provenance.classNames()).containsExactly("blue", "red");
  }

  @Test
  void deadLettersSubmittedJobWhoseDataDoesNotFitItsModel() throws Exception {
    Path cifar = Files.createTempDirectory("qat-cifar");
    Files.write(cifar.resolve("data_batch_1.bin"), new byte[2 * 3073]);
    Files.write(cifar.resolve("test_batch.bin"), new byte[3073]);
    JobSpec spec =
        JobSpec.fromJson(
            "{\"name\": \"cifar\", \"data\": {\"source\": {\"format\": \"cifar10\","
                + " \"path\": \""
                + cifar
                + "\"}, \"calibrationSize\": 1}}");
    String jobId = UUID.randomUUID().toString();

    topics.send(Topics.JOBS, submitted(jobId, spec, null));

    DeadLetter letter = deadLetter(jobId);
    assertThat(letter.errorType()).isEqualTo("INVALID_SPEC");
    assertThat(letter.reason())
        .contains(
            "model.inputHeight x model.inputWidth x model.inputChannels: must be the 32x32x3"
                + " images of cifar10:");
  }

  @Test
  void skipsDuplicateJobSubmitted() {
    String jobId = UUID.randomUUID().toString();
    JobSubmitted job = submitted(jobId, TestJobs.tiny(1), null);
    double before = duplicates();

    topics.send(Topics.JOBS, job);
    topics.send(Topics.JOBS, job);

    topics.await(
        Topics.VALIDATE, FloatCheckpointReady.class, e -> e.jobId().equals(jobId), 1, WAIT);
    EventTopics.waitUntil(this::duplicates, d -> d >= before + 1, POLL, WAIT);
    assertThat(duplicates()).isEqualTo(before + 1);
    assertThat(
            topics.readFor(
                Topics.VALIDATE,
                FloatCheckpointReady.class,
                e -> e.jobId().equals(jobId),
                Duration.ofSeconds(2)))
        .hasSize(1);
    assertThat(
            topics.readFor(
                Topics.STATUS,
                StatusUpdate.class,
                e -> e.jobId().equals(jobId) && e.message().equals("float baseline started"),
                Duration.ofSeconds(2)))
        .hasSize(1);
  }

  @Test
  void choosesAutoWeightBitsAfterBaselineWithinBudget() {
    String jobId = UUID.randomUUID().toString();
    // The tiny CNN's layers hold 36, 288, 6272 and 160 weights and 38 int32 biases (152 bytes):
    // uniform 3-bit weights are 6756 * 3 / 8 + 152 = 2685.5 bytes; the budget allows 2700.
    double budgetBytes = 2700;
    JobSpec tiny = TestJobs.tiny(1);
    JobSpec auto =
        tiny.withQuantization(
            QuantizationSpec.auto(4, new QuantizationBudget(budgetBytes / 1024, null)));

    topics.send(Topics.JOBS, submitted(jobId, auto, null));

    TrainRequested first =
        topics
            .await(Topics.TRAIN, TrainRequested.class, e -> e.jobId().equals(jobId), 1, WAIT)
            .get(0);
    QuantizationSpec chosen = first.spec().quantization();
    assertThat(chosen.autoBits()).isTrue();
    assertThat(chosen.resolved(4)).isTrue();
    long[] weights = {36, 288, 6272, 160};
    double bytes = 152;
    for (int i = 0; i < 4; i++) {
      int bits = chosen.layers().get(Integer.toString(i)).weightBits();
      assertThat(bits).isIn(2, 3, 4, 8);
      bytes += weights[i] * bits / 8.0;
    }
    assertThat(bytes).isLessThanOrEqualTo(budgetBytes);
    assertThat(
            topics.await(
                Topics.STATUS,
                StatusUpdate.class,
                e -> e.jobId().equals(jobId) && e.message().startsWith("auto weight bits"),
                1,
                WAIT))
        .hasSize(1);
    FloatCheckpointReady baseline =
        topics
            .await(
                Topics.VALIDATE, FloatCheckpointReady.class, e -> e.jobId().equals(jobId), 1, WAIT)
            .get(0);
    assertThat(baseline.spec()).isEqualTo(first.spec());
  }

  @Test
  void resumesBaselineAfterLastSavedEpoch() {
    String jobId = UUID.randomUUID().toString();
    JobSpec spec = TestJobs.tiny(2);
    Path stateDir = Path.of(ConfigProvider.getConfig().getValue("qat.state-dir", String.class));
    new EpochCheckpoints(stateDir)
        .save(
            jobId,
            0,
            "baseline",
            1,
            ModelCheckpoints.ofFloat(
                spec.model(), null, ModelInit.initialState(spec.model(), 1), provenance(jobId, 0)));

    topics.send(Topics.JOBS, submitted(jobId, spec, null));

    FloatCheckpointReady baseline =
        topics
            .await(
                Topics.VALIDATE, FloatCheckpointReady.class, e -> e.jobId().equals(jobId), 1, WAIT)
            .get(0);
    assertThat(baseline.trainingMetrics()).containsEntry("epochsRun", 1.0);
    List<StatusUpdate> statuses =
        topics.readFor(
            Topics.STATUS, StatusUpdate.class, e -> e.jobId().equals(jobId), Duration.ofSeconds(2));
    assertThat(statuses)
        .anySatisfy(s -> assertThat(s.message()).isEqualTo("resuming after epoch 1 of 2"));
    assertThat(statuses)
        .filteredOn(
            s ->
                s.stage().equals("baseline")
                    && s.message().endsWith("epoch done, checkpoint saved"))
        .extracting(StatusUpdate::epoch)
        .containsExactly(2);
    Path saved = new EpochCheckpoints(stateDir).dir(jobId, 0, "baseline");
    EventTopics.waitUntil(() -> Files.exists(saved), exists -> !exists, POLL, WAIT);
    assertThat(saved).as("the finished baseline's epoch checkpoints").doesNotExist();
  }

  @Test
  void deadLettersMalformedJson() {
    String key = "malformed-" + UUID.randomUUID();
    byte[] value = "{\"type\": \"JobSubmitted\", ".getBytes(StandardCharsets.UTF_8);

    topics.send(Topics.JOBS, key, value);

    DeadLetter letter = deadLetter(key);
    assertThat(letter.errorType()).isEqualTo("MALFORMED_JSON");
    assertThat(letter.sourceTopic()).isEqualTo(Topics.JOBS);
    assertThat(letter.originalBytes()).isEqualTo(value);
  }

  @Test
  void deadLettersUnknownSchemaVersionAndReportsJobError() {
    String jobId = UUID.randomUUID().toString();
    String json = encode(submitted(jobId, TestJobs.tiny(1), null));
    assertThat(json).contains("\"schemaVersion\":1");

    topics.send(
        Topics.JOBS,
        jobId,
        json.replace("\"schemaVersion\":1", "\"schemaVersion\":99")
            .getBytes(StandardCharsets.UTF_8));

    DeadLetter letter = deadLetter(jobId);
    assertThat(letter.errorType()).isEqualTo("UNKNOWN_SCHEMA_VERSION");
    assertThat(letter.jobId()).isEqualTo(jobId);
    assertThat(status(jobId, "rejected").message()).contains("schemaVersion 99");
  }

  @Test
  void deadLettersInvalidSpecNamingTheField() {
    String jobId = UUID.randomUUID().toString();
    String json = encode(submitted(jobId, TestJobs.tiny(1), null));
    assertThat(json).contains("\"weightBits\":4");

    topics.send(
        Topics.JOBS,
        jobId,
        json.replace("\"weightBits\":4", "\"weightBits\":0").getBytes(StandardCharsets.UTF_8));

    DeadLetter letter = deadLetter(jobId);
    assertThat(letter.errorType()).isEqualTo("INVALID_FIELD");
    assertThat(letter.reason()).contains("quantization.weightBits");
    assertThat(status(jobId, "rejected").message()).contains("quantization.weightBits");
  }

  /**
   * The attack of docs/fleet.md, "Events bound to accepted jobs": before the victim's job is even
   * submitted, an outsider puts TrainRequesteds for its round 1 on qat.train, one without a seal,
   * one sealed with a key of its own. Both are dead-lettered before the ledger sees them, and the
   * round the fleet itself asks for after the baseline runs, once, from the real baseline.
   */
  @Test
  void deadLettersForgedTrainRequestsAndStillRunsTheGenuineRound() {
    String victim = UUID.randomUUID().toString();
    JobSpec spec = TestJobs.tiny(1);
    CheckpointRef planted = putBaseline(victim, spec);
    byte[] forged = codec.encode(trainRequest(victim, spec, planted));
    topics.sendAsIs(new ProducerRecord<>(Topics.TRAIN, victim, forged));
    ProducerRecord<String, byte[]> otherKey = new ProducerRecord<>(Topics.TRAIN, victim, forged);
    EventSeal.fromBase64("attacker", EventSeal.generateKey())
        .sealInto(otherKey.headers(), victim, forged);
    topics.sendAsIs(otherKey);

    assertThat(topics.await(Topics.DLQ, DeadLetter.class, d -> victim.equals(d.jobId()), 2, WAIT))
        .extracting(DeadLetter::errorType, DeadLetter::sourceTopic)
        .containsExactlyInAnyOrder(
            tuple("UNSEALED_EVENT", Topics.TRAIN), tuple("BAD_SEAL", Topics.TRAIN));

    topics.send(Topics.JOBS, submitted(victim, spec, null));

    FloatCheckpointReady baseline =
        topics
            .await(
                Topics.VALIDATE, FloatCheckpointReady.class, e -> e.jobId().equals(victim), 1, WAIT)
            .get(0);
    FloatCheckpointReady round1 =
        topics
            .await(
                Topics.QUANTIZE,
                FloatCheckpointReady.class,
                e -> e.jobId().equals(victim) && !e.baseline(),
                1,
                WAIT)
            .get(0);
    assertThat(round1.round()).isEqualTo(1);
    assertThat(
            topics.readFor(
                Topics.TRAIN,
                TrainRequested.class,
                e -> e.jobId().equals(victim),
                Duration.ofSeconds(2)))
        .as("the forged two and the genuine one")
        .hasSize(3)
        .filteredOn(r -> r.startFrom().equals(baseline.checkpoint()))
        .hasSize(1);
    assertThat(
            topics.readFor(
                Topics.QUANTIZE,
                FloatCheckpointReady.class,
                e -> e.jobId().equals(victim),
                Duration.ofSeconds(2)))
        .as("the baseline, for post-training quantization, and round 1")
        .extracting(FloatCheckpointReady::round)
        .containsExactlyInAnyOrder(0, 1);
  }

  /**
   * A round that starts from weights holding a NaN diverges at its first step: the job ends with
   * JobFailed naming the step and the last good checkpoint (the round's start), nothing is
   * dead-lettered, and a redelivered request does not train the round again.
   */
  /**
   * Under ptq_first the baseline goes to the validator and the quantizer (post-training
   * quantization, round 0) and the trainer asks for no QAT round itself: the validator does when
   * round 0 misses its bar.
   */
  @Test
  void asksForNoQatRoundAfterTheBaselineUnderPtqFirst() {
    String jobId = UUID.randomUUID().toString();
    JobSpec tiny = TestJobs.tiny(1);
    JobSpec spec =
        new JobSpec(
            tiny.name(),
            tiny.data(),
            tiny.model(),
            tiny.quantization(),
            tiny.training(),
            tiny.thresholds(),
            tiny.maxRounds(),
            null,
            Strategy.PTQ_FIRST);

    topics.send(Topics.JOBS, submitted(jobId, spec, null));

    FloatCheckpointReady ptq =
        topics
            .await(
                Topics.QUANTIZE, FloatCheckpointReady.class, e -> e.jobId().equals(jobId), 1, WAIT)
            .get(0);
    assertThat(ptq.round()).isZero();
    assertThat(ptq.baseline()).isTrue();
    assertThat(ptq.trainingMetrics()).containsKey(FloatCheckpointReady.CPU_SECONDS);
    assertThat(
            topics.readFor(
                Topics.TRAIN,
                TrainRequested.class,
                e -> e.jobId().equals(jobId),
                Duration.ofSeconds(3)))
        .isEmpty();
  }

  /**
   * A send-back whose remedy turns distillation on and raises layer 1 to 8 bits: the round trains
   * with both (the teacher fetched from the store) and hands the quantizer the spec it ran with:
   * the remedy's epochs and learning rate as its QAT budget, distillation, the layer override; its
   * checkpoint records the raised bits, with layer 1's step sizes carried over to the finer grid.
   */
  @Test
  void appliesTheRemedyOfASendBackToTheNextRound() {
    String jobId = UUID.randomUUID().toString();
    JobSpec spec = TestJobs.tiny(1);
    CheckpointRef baseline = putBaseline(jobId, spec);
    QatPipeline pipeline = QatPipeline.forJob(spec, DatasetLoader.fromEnvironment());
    ModelState quantized = pipeline.initQuantization(ModelInit.initialState(spec.model(), 3));
    CheckpointRef calibrated =
        put(
            ModelCheckpoints.ofFloat(
                spec.model(), spec.quantization(), quantized, provenance(jobId, 1)));
    Remedy remedy =
        new Remedy(
            List.of("distillation on", "layer 1 weights 4 → 8 bits"),
            0.05,
            null,
            new Distillation(0.5, 2.0),
            baseline,
            Map.of("1", 8));
    topics.send(
        Topics.TRAIN,
        new RetrainRequested(
            QatEvent.newEventId(),
            jobId,
            1,
            calibrated,
            Instant.now(),
            spec,
            "round 1 failed",
            2,
            2,
            1e-4,
            remedy));

    FloatCheckpointReady round2 =
        topics
            .await(
                Topics.QUANTIZE, FloatCheckpointReady.class, e -> e.jobId().equals(jobId), 1, WAIT)
            .get(0);
    assertThat(round2.round()).isEqualTo(2);
    assertThat(round2.trainingMetrics()).containsEntry("epochsRun", 2.0);
    assertThat(round2.trainingMetrics()).containsKey(FloatCheckpointReady.LAST_EPOCH_LOSS_CHANGE);
    JobSpec ran = round2.spec();
    assertThat(ran.training().qatEpochs()).isEqualTo(2);
    assertThat(ran.training().qatLearningRate()).isEqualTo(1e-4);
    assertThat(ran.training().distillation()).isEqualTo(new Distillation(0.5, 2.0));
    assertThat(ran.quantization().layers().get("1").weightBits()).isEqualTo(8);
    Checkpoint trained = fetchCheckpoint(round2.checkpoint());
    assertThat(ModelCheckpoints.quantizationSpec(trained)).isEqualTo(ran.quantization());
    assertThat(
            topics.readFor(
                Topics.STATUS,
                StatusUpdate.class,
                e -> e.jobId().equals(jobId) && e.message().contains("distilling from"),
                Duration.ofSeconds(2)))
        .hasSize(1);
  }

  @Test
  void deadLettersRemedyThatRaisesALayerTheModelLacks() {
    String jobId = UUID.randomUUID().toString();
    JobSpec spec = TestJobs.tiny(1);
    CheckpointRef start = putBaseline(jobId, spec);
    topics.send(
        Topics.TRAIN,
        new RetrainRequested(
            QatEvent.newEventId(),
            jobId,
            1,
            start,
            Instant.now(),
            spec,
            "round 1 failed",
            2,
            1,
            1e-4,
            new Remedy(
                List.of("layer 9 weights 4 → 8 bits"), 0.05, null, null, null, Map.of("9", 8))));

    DeadLetter letter = deadLetter(jobId);
    assertThat(letter.errorType()).isEqualTo("INVALID_SPEC");
    assertThat(letter.reason()).contains("quantization.layers.9: no such layer");
  }

  @Test
  void endsJobWithJobFailedWhenTrainingDiverges() {
    String jobId = UUID.randomUUID().toString();
    JobSpec spec = TestJobs.tiny(1);
    ModelState state = ModelInit.initialState(spec.model(), 3);
    float[] kernel = state.floats("layer0.kernel");
    kernel[0] = Float.NaN;
    CheckpointRef poisoned =
        put(
            ModelCheckpoints.ofFloat(
                spec.model(),
                null,
                state.with("layer0.kernel", state.tensor("layer0.kernel").shape(), kernel),
                provenance(jobId, 0)));
    TrainRequested request = trainRequest(jobId, spec, poisoned);

    topics.send(Topics.TRAIN, request);

    JobFailed failed =
        topics.await(Topics.STATUS, JobFailed.class, e -> e.jobId().equals(jobId), 1, WAIT).get(0);
    assertThat(failed.round()).isEqualTo(1);
    assertThat(failed.reason())
        .startsWith("QAT round 1 diverged: ")
        .contains("NaN")
        .contains(" at epoch 0 step 0 ")
        .contains("last good checkpoint " + poisoned.shortId() + " (the round's start)");
    assertThat(failed.checkpoint()).isEqualTo(poisoned);
    double before = registry.get("qat.train.duplicates").tag("stage", "qat").counter().count();
    topics.send(Topics.TRAIN, request);
    EventTopics.waitUntil(
        () -> registry.get("qat.train.duplicates").tag("stage", "qat").counter().count(),
        d -> d >= before + 1,
        POLL,
        WAIT);
    assertThat(topics.readToEnd(Topics.DLQ, DeadLetter.class, d -> jobId.equals(d.jobId())))
        .isEmpty();
    assertThat(topics.readToEnd(Topics.STATUS, JobFailed.class, e -> e.jobId().equals(jobId)))
        .hasSize(1);
  }

  @Test
  void deadLettersMissingStartCheckpointAndKeepsConsuming() {
    String badJob = UUID.randomUUID().toString();
    String goodJob = UUID.randomUUID().toString();
    JobSpec spec = TestJobs.tiny(1);
    CheckpointRef missing =
        CheckpointRef.of(("never stored " + badJob).getBytes(StandardCharsets.UTF_8));
    CheckpointRef baseline = putBaseline(goodJob, spec);

    topics.send(Topics.TRAIN, trainRequest(badJob, spec, missing));
    topics.send(Topics.TRAIN, trainRequest(goodJob, spec, baseline));

    DeadLetter letter = deadLetter(badJob);
    assertThat(letter.errorType()).isEqualTo("CHECKPOINT_NOT_FOUND");
    assertThat(letter.reason()).contains(missing.sha256());
    assertThat(status(badJob, "error").round()).isEqualTo(1);
    FloatCheckpointReady round1 =
        topics
            .await(
                Topics.QUANTIZE,
                FloatCheckpointReady.class,
                e -> e.jobId().equals(goodJob),
                1,
                WAIT)
            .get(0);
    assertThat(round1.round()).isEqualTo(1);
    assertThat(round1.baseline()).isFalse();
  }

  @Test
  void deadLettersTriggerForUnknownModel() {
    String jobId = UUID.randomUUID().toString();

    topics.send(Topics.TRIGGERS, trigger(jobId, "no-such-model-" + jobId));

    DeadLetter letter = deadLetter(jobId);
    assertThat(letter.errorType()).isEqualTo("UNKNOWN_MODEL");
    assertThat(letter.reason()).contains("no-such-model-" + jobId);
  }

  @Test
  void triggerSubmitsJobFromRegistryEntry() {
    String approvedJob = UUID.randomUUID().toString();
    String newJob = UUID.randomUUID().toString();
    String model = "registered-" + approvedJob.substring(0, 8);
    JobSpec spec = TestJobs.tiny(1);
    CheckpointRef start = putBaseline(approvedJob, spec);

    triggerFromRegistry(approvedJob, newJob, model, spec, start);

    JobSubmitted job =
        topics
            .await(Topics.JOBS, JobSubmitted.class, e -> e.jobId().equals(newJob), 1, WAIT)
            .get(0);
    assertThat(job.checkpoint()).isEqualTo(start);
    assertThat(job.spec()).isEqualTo(spec);
    FloatCheckpointReady baseline =
        topics
            .await(
                Topics.VALIDATE, FloatCheckpointReady.class, e -> e.jobId().equals(newJob), 1, WAIT)
            .get(0);
    assertThat(baseline.checkpoint()).isEqualTo(start);
    TrainRequested first =
        topics
            .await(Topics.TRAIN, TrainRequested.class, e -> e.jobId().equals(newJob), 1, WAIT)
            .get(0);
    assertThat(first.startFrom()).isEqualTo(start);
  }

  /**
   * A registry entry whose checkpoint is only on qat.checkpoints.approved (its working copy on
   * qat.checkpoints expired, or as here, was never there): the triggered job still starts from it.
   */
  @Test
  void triggerStartsJobFromCheckpointKeptOnlyOnTheApprovedTopic() {
    String approvedJob = UUID.randomUUID().toString();
    String newJob = UUID.randomUUID().toString();
    String model = "kept-" + approvedJob.substring(0, 8);
    JobSpec spec = TestJobs.tiny(1);
    CheckpointRef start;
    try (KafkaCheckpointStore approvedOnly =
        KafkaCheckpointStore.approved(
            KafkaClientSettings.bootstrap(bootstrapServers, "test"),
            KafkaCheckpointStore.DEFAULT_CHUNK_BYTES,
            KafkaCheckpointStore.DEFAULT_MAX_CHECKPOINT_BYTES)) {
      start = approvedOnly.put(baselineBytes(approvedJob, spec));
    }

    triggerFromRegistry(approvedJob, newJob, model, spec, start);

    FloatCheckpointReady baseline =
        topics
            .await(
                Topics.VALIDATE, FloatCheckpointReady.class, e -> e.jobId().equals(newJob), 1, WAIT)
            .get(0);
    assertThat(baseline.checkpoint()).isEqualTo(start);
    assertThat(topics.readToEnd(Topics.DLQ, DeadLetter.class, d -> newJob.equals(d.jobId())))
        .isEmpty();
  }

  /** A trigger names a new job: under a submitted job's id it would take that job over. */
  @Test
  void deadLettersTriggerUnderAnotherJobsIdAndLeavesThatJobItsOwner() throws Exception {
    String approvedJob = UUID.randomUUID().toString();
    String victim = UUID.randomUUID().toString();
    String model = "takeover-" + approvedJob.substring(0, 8);
    JobSpec spec = TestJobs.tiny(1);
    CheckpointRef start = putBaseline(approvedJob, spec);
    JobSpec victims = TestJobs.named("alices-" + approvedJob.substring(0, 8));
    topics.send(
        Topics.JOBS,
        new JobSubmitted(QatEvent.newEventId(), victim, 0, null, Instant.now(), victims, "alice"));
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (jobView.find(victim).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(jobView.find(victim)).isPresent();

    triggerFromRegistry(approvedJob, victim, model, spec, start);

    DeadLetter letter = deadLetter(victim);
    assertThat(letter.errorType()).isEqualTo("INVALID_FIELD");
    assertThat(letter.reason()).contains("jobId '" + victim + "' is already another job");
    assertThat(jobView.find(victim).orElseThrow().owner()).isEqualTo("alice");
    assertThat(jobView.find(victim).orElseThrow().name()).isEqualTo(victims.name());
  }

  @Test
  void deadLettersTriggerForUnsignedRegistryEntryAndStartsNoJob() {
    String model = "unsigned-" + UUID.randomUUID().toString().substring(0, 8);
    ModelApproved unsigned = approval(UUID.randomUUID().toString(), model, TestJobs.tiny(1));

    DeadLetter letter = triggerFromRegistryEntry(model, unsigned);

    assertThat(letter.errorType()).isEqualTo("UNSIGNED_APPROVAL");
    assertThat(letter.reason()).contains(model + " v1").contains("is not signed");
  }

  @Test
  void deadLettersTriggerForEntrySignedByAnotherKeyAndStartsNoJob() {
    String model = "forged-" + UUID.randomUUID().toString().substring(0, 8);
    KeyPair attacker = ApprovalKeys.generate();
    ModelApproved forged =
        ApprovalSignature.signer(attacker.getPrivate(), attacker.getPublic())
            .sign(approval(UUID.randomUUID().toString(), model, TestJobs.tiny(1)));

    DeadLetter letter = triggerFromRegistryEntry(model, forged);

    assertThat(letter.errorType()).isEqualTo("BAD_SIGNATURE");
    assertThat(letter.reason())
        .contains("signed by key " + ApprovalSignature.keyId(attacker.getPublic()))
        .contains("trusted key is " + ApprovalKeyResource.signer().keyId());
  }

  @Test
  void deadLettersTriggerForEntryWhoseVersionWasAlteredAndStartsNoJob() {
    String model = "altered-" + UUID.randomUUID().toString().substring(0, 8);
    ModelApproved genuine =
        ApprovalKeyResource.signer()
            .sign(approval(UUID.randomUUID().toString(), model, TestJobs.tiny(1)));
    String altered = encode(genuine).replace("\"version\":1,", "\"version\":7,");
    assertThat(altered).contains("\"version\":7,");

    String newJob = UUID.randomUUID().toString();
    topics.send(Topics.MODELS, model, altered.getBytes(StandardCharsets.UTF_8));
    topics.send(Topics.TRIGGERS, trigger(newJob, model));

    DeadLetter letter = deadLetter(newJob);
    assertThat(letter.errorType()).isEqualTo("BAD_SIGNATURE");
    assertThat(letter.reason()).contains(model + " v7").contains("does not match its content");
    assertNoJob(newJob);
  }

  /** Registers {@code entry}, triggers a retraining of {@code model}, returns the dead letter. */
  private DeadLetter triggerFromRegistryEntry(String model, ModelApproved entry) {
    String newJob = UUID.randomUUID().toString();
    topics.send(Topics.MODELS, model, encode(entry).getBytes(StandardCharsets.UTF_8));
    topics.send(Topics.TRIGGERS, trigger(newJob, model));
    DeadLetter letter = deadLetter(newJob);
    assertNoJob(newJob);
    return letter;
  }

  private void assertNoJob(String jobId) {
    assertThat(
            topics.readFor(
                Topics.JOBS,
                JobSubmitted.class,
                e -> e.jobId().equals(jobId),
                Duration.ofSeconds(2)))
        .isEmpty();
  }

  /** An unsigned registry entry (version 1) of {@code model} approved by {@code approvedJob}. */
  private static ModelApproved approval(String approvedJob, String model, JobSpec spec) {
    return approval(
        approvedJob,
        model,
        spec,
        CheckpointRef.of(("calibrated " + approvedJob).getBytes(StandardCharsets.UTF_8)));
  }

  private static ModelApproved approval(
      String approvedJob, String model, JobSpec spec, CheckpointRef calibrated) {
    return new ModelApproved(
        QatEvent.newEventId(),
        approvedJob,
        1,
        CheckpointRef.of(new byte[] {1, 2, 3}),
        Instant.now(),
        model,
        1,
        Map.of("accuracy", 0.5),
        spec,
        calibrated,
        spec.thresholds(),
        ThresholdSource.SPEC,
        null,
        null);
  }

  private double duplicates() {
    return registry.get("qat.train.duplicates").tag("stage", "baseline").counter().count();
  }

  private static JobSubmitted submitted(String jobId, JobSpec spec, CheckpointRef checkpoint) {
    return new JobSubmitted(QatEvent.newEventId(), jobId, 0, checkpoint, Instant.now(), spec);
  }

  private static TrainRequested trainRequest(String jobId, JobSpec spec, CheckpointRef start) {
    return new TrainRequested(
        QatEvent.newEventId(),
        jobId,
        1,
        start,
        Instant.now(),
        spec,
        "first QAT round",
        1,
        TestJobs.QAT_LEARNING_RATE,
        start);
  }

  private static RetrainTriggered trigger(String jobId, String model) {
    return new RetrainTriggered(
        QatEvent.newEventId(),
        jobId,
        0,
        null,
        Instant.now(),
        model,
        RetrainTriggered.Reason.MANUAL,
        "test");
  }

  /** A He-initialised float checkpoint of {@code spec}'s model, put into the checkpoint store. */
  /** A signed registry entry of {@code model} starting from {@code start}, then a trigger. */
  private void triggerFromRegistry(
      String approvedJob, String newJob, String model, JobSpec spec, CheckpointRef start) {
    ModelApproved approved =
        ApprovalKeyResource.signer().sign(approval(approvedJob, model, spec, start));
    topics.send(Topics.MODELS, model, encode(approved).getBytes(StandardCharsets.UTF_8));
    topics.send(Topics.TRIGGERS, trigger(newJob, model));
  }

  private CheckpointRef putBaseline(String jobId, JobSpec spec) {
    return put(baselineBytes(jobId, spec));
  }

  private static byte[] baselineBytes(String jobId, JobSpec spec) {
    return new CheckpointCodec()
        .encode(
            ModelCheckpoints.ofFloat(
                spec.model(), null, ModelInit.initialState(spec.model(), 3), provenance(jobId, 0)))
        .bytes();
  }

  private Checkpoint fetchCheckpoint(CheckpointRef ref) {
    try (KafkaCheckpointStore store = new KafkaCheckpointStore(bootstrapServers)) {
      return new CheckpointCodec().decode(store.get(ref, WAIT), ref.sha256());
    }
  }

  private CheckpointRef put(Checkpoint checkpoint) {
    return put(new CheckpointCodec().encode(checkpoint).bytes());
  }

  private CheckpointRef put(byte[] bytes) {
    try (KafkaCheckpointStore store = new KafkaCheckpointStore(bootstrapServers)) {
      return store.put(bytes);
    }
  }

  private static Provenance provenance(String jobId, int round) {
    return new Provenance(jobId, round, null, "fashion-mnist", "test", Instant.now().toString());
  }

  private DeadLetter deadLetter(String key) {
    return topics
        .await(Topics.DLQ, DeadLetter.class, d -> key.equals(d.originalKey()), 1, WAIT)
        .get(0);
  }

  private StatusUpdate status(String jobId, String stage) {
    return topics
        .await(
            Topics.STATUS,
            StatusUpdate.class,
            s -> s.jobId().equals(jobId) && s.stage().equals(stage),
            1,
            WAIT)
        .get(0);
  }

  private String encode(QatEvent event) {
    return new String(codec.encode(event), StandardCharsets.UTF_8);
  }

  private static com.fasterxml.jackson.databind.JsonNode readTree(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
