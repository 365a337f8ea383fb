package io.qatfleet.validator;

import static io.qatfleet.messaging.testing.EventTopics.ofJob;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.MeterRegistry;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.core.job.Strategy;
import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.messaging.approval.ApprovalKeys;
import io.qatfleet.messaging.approval.ApprovalSignature;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.event.Decision;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.Remedy;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.ThresholdResult;
import io.qatfleet.messaging.event.ThresholdSource;
import io.qatfleet.messaging.event.ValidationCompleted;
import io.qatfleet.messaging.testing.ApprovalKeyResource;
import io.qatfleet.messaging.testing.EventTopics;
import io.qatfleet.messaging.testing.EventTopics.Received;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.validator.TestModels.Models;
import io.qatfleet.validator.service.ModelEvaluator;
import io.qatfleet.validator.service.RemedyPolicy;
import io.qatfleet.validator.service.ValidatorMetrics;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The validator against a real broker: baselines and quantized rounds made by qat-core go in on
 * {@code qat.validate}; the test asserts what reached {@code qat.status}, {@code qat.deploy},
 * {@code qat.models} and {@code qat.train}.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(
    value = ApprovalKeyResource.class,
    initArgs = @ResourceArg(name = ApprovalKeyResource.SIGNER, value = "true"))
class ValidatorFlowTest {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final Duration POLL = Duration.ofMillis(200);

  @Inject CheckpointStore store;
  @Inject MeterRegistry meters;

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  @ConfigProperty(name = "qat.event-key")
  String eventKey;

  private EventTopics topics;

  private Models models;
  private CheckpointRef baseline;
  private CheckpointRef trainedInteger;
  private CheckpointRef trainedCalibrated;
  private CheckpointRef untrainedInteger;
  private CheckpointRef untrainedCalibrated;
  private CheckpointRef trainedOnnx;

  @BeforeEach
  void connect() {
    topics = new EventTopics(bootstrapServers, eventKey);
  }

  @AfterEach
  void disconnect() {
    topics.close();
  }

  @BeforeEach
  void storeCheckpoints() {
    models = TestModels.models();
    baseline = store.put(models.baseline());
    trainedInteger = store.put(models.trainedInteger());
    trainedCalibrated = store.put(models.trainedCalibrated());
    untrainedInteger = store.put(models.untrainedInteger());
    untrainedCalibrated = store.put(models.untrainedCalibrated());
    trainedOnnx = store.put(models.trainedOnnx());
  }

  @Test
  void reportsConfusionMatricesModelSizesAndEvaluationTimes() {
    String model = "fashion-confusion-" + UUID.randomUUID().toString().substring(0, 8);
    JobSpec spec = TestModels.spec(model, TestModels.lenient(), 3);
    String job = newJob(spec);
    topics.send(Topics.VALIDATE, job, quantized(job, 1, spec, trainedInteger, trainedCalibrated));

    ValidationCompleted report =
        topics.await(Topics.STATUS, ValidationCompleted.class, ofJob(job), 1, WAIT).get(0);
    // Each matrix tallies the 200 test images, and its diagonal is the accuracy.
    assertThat(report.floatConfusion()).hasSize(10);
    assertThat(report.quantizedConfusion()).hasSize(10);
    assertThat(total(report.floatConfusion())).isEqualTo(200);
    assertThat(total(report.quantizedConfusion())).isEqualTo(200);
    assertThat(trace(report.floatConfusion()) / 200.0)
        .isCloseTo(models.floatAccuracy(), within(1e-9));
    assertThat(trace(report.quantizedConfusion()) / 200.0)
        .isCloseTo(models.trainedAccuracy(), within(1e-9));
    // 8-bit levels against float32 weights: the integer model is about a quarter of the size.
    double floatBytes = report.floatMetrics().get("modelBytes");
    double integerBytes = report.quantizedMetrics().get("modelBytes");
    assertThat(integerBytes / floatBytes).isBetween(0.25, 0.4);
    // How long each evaluation took (docs/fleet.md, stage times): present, never a bound on it.
    assertThat(report.floatMetrics().get(ValidationCompleted.EVALUATION_SECONDS)).isPositive();
    assertThat(report.quantizedMetrics().get(ValidationCompleted.EVALUATION_SECONDS)).isPositive();
    // Per-layer sensitivity on the calibration split: one entry per layer at the layer's bits.
    assertThat(report.sensitivity())
        .extracting(LayerSensitivity::name)
        .containsExactly("conv0", "conv1", "dense2", "output3");
    assertThat(report.sensitivity()).extracting(LayerSensitivity::bits).containsOnly(8);
    assertThat(report.quantizedMetrics().get(ModelEvaluator.SENSITIVITY_SECONDS)).isPositive();
  }

  private static int total(List<List<Integer>> confusion) {
    return confusion.stream().flatMap(List::stream).mapToInt(Integer::intValue).sum();
  }

  private static int trace(List<List<Integer>> confusion) {
    int sum = 0;
    for (int t = 0; t < confusion.size(); t++) {
      sum += confusion.get(t).get(t);
    }
    return sum;
  }

  @Test
  void approvesPassingModelAndCountsRegistryVersions() {
    String model = "fashion-pass-" + UUID.randomUUID().toString().substring(0, 8);
    JobSpec spec = TestModels.spec(model, TestModels.lenient(), 3);
    String job1 = newJob(spec);
    topics.send(
        Topics.VALIDATE,
        job1,
        quantized(job1, 1, spec, trainedInteger, trainedCalibrated, trainedOnnx));

    ValidationCompleted report =
        topics.await(Topics.STATUS, ValidationCompleted.class, ofJob(job1), 1, WAIT).get(0);
    assertThat(report.decision()).isEqualTo(Decision.PASS);
    assertThat(report.round()).isEqualTo(1);
    assertThat(report.checkpoint()).isEqualTo(trainedInteger);
    assertThat(report.floatMetrics().get("accuracy"))
        .isCloseTo(models.floatAccuracy(), within(1e-9));
    // The metrics are ONNX Runtime's on the exported file; the integer engine, the reference, ran
    // on the same 200 images (fewer than the 2,000 reference samples) and agrees with it.
    assertThat(report.quantizedMetrics().get("integerAccuracy"))
        .isCloseTo(models.trainedAccuracy(), within(1e-9));
    assertThat(report.quantizedMetrics().get("referenceSamples")).isEqualTo(200.0);
    assertThat(report.quantizedMetrics().get("onnxAgreement")).isGreaterThanOrEqualTo(0.995);
    assertThat(report.quantizedMetrics().get("accuracy"))
        .isCloseTo(models.trainedAccuracy(), within(0.005 + 1e-9));
    assertThat(report.quantizedMetrics().get("onnxModelBytes"))
        .isEqualTo((double) trainedOnnx.bytes());
    assertThat(report.quantizedMetrics()).containsKeys("onnxEvaluationSeconds");
    assertThat(report.quantizedMetrics())
        .containsKeys("macroPrecision", "macroRecall", "macroF1", "precision.0", "f1.9");
    assertThat(report.quantizedMetrics().get("testSamples")).isEqualTo(200.0);
    assertThat(report.thresholdResults())
        .extracting(ThresholdResult::metric)
        .containsExactly("accuracy");
    assertThat(report.thresholdResults()).allMatch(ThresholdResult::passed);
    // W8A8: the integer engine and the fake-quant graph agree on practically every image.
    assertThat(report.agreement()).isGreaterThanOrEqualTo(0.99);

    ModelApproved approved =
        topics.await(Topics.DEPLOY, ModelApproved.class, ofJob(job1), 1, WAIT).get(0);
    assertThat(approved.modelName()).isEqualTo(model);
    assertThat(approved.version()).isEqualTo(1);
    assertThat(approved.checkpoint()).isEqualTo(trainedInteger);
    assertThat(approved.onnxModel()).isEqualTo(trainedOnnx);
    assertThat(approved.metrics().get("accuracy"))
        .isEqualTo(report.quantizedMetrics().get("accuracy"));
    assertThat(approved.metrics()).doesNotContainKey(ValidationCompleted.EVALUATION_SECONDS);
    assertThat(report.thresholdSource()).isEqualTo(ThresholdSource.SPEC);
    assertThat(approved.thresholds()).isEqualTo(TestModels.lenient());
    assertThat(approved.thresholdSource()).isEqualTo(ThresholdSource.SPEC);
    // Signed with the configured key: the test's verifier, holding only the public key, accepts it.
    assertThat(approved.keyId()).isEqualTo(ApprovalKeyResource.signer().keyId());
    ApprovalSignature.verifier(ApprovalKeyResource.signer().publicKey()).verify(approved);
    assertThat(registry(model))
        .extracting(r -> ((ModelApproved) r.event()).version())
        .containsExactly(1);

    String job2 = newJob(spec);
    topics.send(Topics.VALIDATE, job2, quantized(job2, 2, spec, trainedInteger, trainedCalibrated));
    ModelApproved second =
        topics.await(Topics.DEPLOY, ModelApproved.class, ofJob(job2), 1, WAIT).get(0);
    assertThat(second.version()).isEqualTo(2);
    List<Received> entries = registry(model);
    assertThat(entries).extracting(Received::key).containsOnly(model);
    assertThat(entries)
        .extracting(r -> ((ModelApproved) r.event()).jobId())
        .containsExactly(job1, job2);
    assertThat(topics.readToEnd(Topics.TRAIN, RetrainRequested.class, ofJob(job1))).isEmpty();
  }

  @Test
  void judgesJobWithoutThresholdsByTheDefaultBar() {
    // The default bar (qat.default-thresholds: accuracy maxAbsDrop 0.01) against a model that
    // lost more than a point: the untrained weights, calibrated and projected.
    assertThat(models.floatAccuracy() - models.untrainedAccuracy()).isGreaterThan(0.01);
    JobSpec spec = TestModels.spec("fashion-no-bar", Map.of(), 3);
    assertThat(spec.violations()).isEmpty();
    String job = newJob(spec);
    topics.send(
        Topics.VALIDATE, job, quantized(job, 1, spec, untrainedInteger, untrainedCalibrated));

    ValidationCompleted report =
        topics.await(Topics.STATUS, ValidationCompleted.class, ofJob(job), 1, WAIT).get(0);
    assertThat(report.thresholdSource()).isEqualTo(ThresholdSource.DEFAULT);
    assertThat(report.thresholdResults()).hasSize(1);
    ThresholdResult accuracy = report.thresholdResults().get(0);
    assertThat(accuracy.metric()).isEqualTo("accuracy");
    assertThat(accuracy.threshold()).isEqualTo(new MetricThreshold(null, 0.01, null));
    assertThat(accuracy.passed()).isFalse();
    assertThat(report.decision()).isEqualTo(Decision.RETRAIN);
    RetrainRequested retrain =
        topics.await(Topics.TRAIN, RetrainRequested.class, ofJob(job), 1, WAIT).get(0);
    assertThat(retrain.reason()).contains("maxAbsDrop 0.0100");
    assertThat(topics.readToEnd(Topics.DEPLOY, ModelApproved.class, ofJob(job))).isEmpty();
  }

  @Test
  void servesTheApprovalPublicKey() throws Exception {
    int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/approval-key"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("application/x-pem-file"));
    PublicKey key = ApprovalKeys.parsePublic(response.body(), "GET /approval-key");
    assertThat(ApprovalSignature.keyId(key)).isEqualTo(ApprovalKeyResource.signer().keyId());
    assertThat(response.headers().firstValue("Qat-Key-Id"))
        .contains(ApprovalKeyResource.signer().keyId());
  }

  @Test
  void requestsRetrainWithARemedyWhileRoundsAreLeft() {
    JobSpec job1Spec = TestModels.spec("fashion-retrain", TestModels.impossible(), 3);
    // Round 2 ran with 2 epochs (its spec says so, as the trainer writes it) and its loss still
    // fell 10 % in its last epoch.
    JobSpec spec =
        job1Spec.with(
            job1Spec.quantization(),
            job1Spec.training().withQat(2, job1Spec.training().qatLearningRate(), null));
    String job = newJob(spec);
    topics.send(
        Topics.VALIDATE,
        job,
        new QuantizedModelReady(
            QatEvent.newEventId(),
            job,
            2,
            trainedInteger,
            Instant.now(),
            spec,
            trainedCalibrated,
            Map.of(
                RemedyPolicy.LAST_EPOCH_LOSS_CHANGE,
                -0.1,
                QuantizedModelReady.CPU_SECONDS,
                3.0,
                QuantizedModelReady.TRAINING_PREFIX + FloatCheckpointReady.CPU_SECONDS,
                40.0),
            null));

    RetrainRequested retrain =
        topics.await(Topics.TRAIN, RetrainRequested.class, ofJob(job), 1, WAIT).get(0);
    assertThat(retrain.round()).isEqualTo(2);
    assertThat(retrain.nextRound()).isEqualTo(3);
    // 2 epochs in round 2 with the loss still falling: round 3 trains 4.
    assertThat(retrain.epochs()).isEqualTo(4);
    assertThat(retrain.learningRate()).isEqualTo(spec.training().qatLearningRate());
    assertThat(retrain.checkpoint()).isEqualTo(trainedCalibrated);
    assertThat(retrain.spec()).isEqualTo(spec);
    // A bar of accuracy 1.0 is missed by far more than half a point: distillation from the
    // baseline this job's FloatCheckpointReady named.
    Remedy remedy = retrain.remedy();
    assertThat(remedy.miss()).isCloseTo(1.0 - models.trainedAccuracy(), within(1e-9));
    assertThat(remedy.lossFalling()).isTrue();
    assertThat(remedy.distillation()).isNotNull();
    assertThat(remedy.teacher()).isEqualTo(baseline);
    assertThat(remedy.changes())
        .hasSize(2)
        .anyMatch(c -> c.startsWith("epochs 2 → 4: the loss was still falling"))
        .anyMatch(c -> c.startsWith("distillation on"));
    assertThat(retrain.reason())
        .contains("accuracy")
        .contains(String.format(Locale.ROOT, "%.4f", models.trainedAccuracy()))
        .contains("< min 1.0000");

    ValidationCompleted report =
        topics.readToEnd(Topics.STATUS, ValidationCompleted.class, ofJob(job)).get(0);
    assertThat(report.decision()).isEqualTo(Decision.RETRAIN);
    assertThat(report.quantizedMetrics())
        .containsEntry(ValidationCompleted.TRAINING_CPU_SECONDS, 40.0)
        .containsEntry(ValidationCompleted.QUANTIZATION_CPU_SECONDS, 3.0)
        .containsKey(ValidationCompleted.EVALUATION_CPU_SECONDS);
    assertThat(report.thresholdResults()).noneMatch(ThresholdResult::passed);
    assertThat(topics.readToEnd(Topics.DEPLOY, ModelApproved.class, ofJob(job))).isEmpty();
  }

  /**
   * Round 0 is post-training quantization. By default it is reported beside the QAT rounds and
   * nothing else: no approval though it passes, no send-back (the trainer already runs round 1).
   */
  @Test
  void reportsPostTrainingQuantizationWithoutActingOnIt() {
    String model = "fashion-ptq-" + UUID.randomUUID().toString().substring(0, 8);
    JobSpec spec = TestModels.spec(model, TestModels.lenient(), 3);
    String job = newJob(spec);
    topics.send(Topics.VALIDATE, job, quantized(job, 0, spec, trainedInteger, trainedCalibrated));

    ValidationCompleted report =
        topics.await(Topics.STATUS, ValidationCompleted.class, ofJob(job), 1, WAIT).get(0);
    assertThat(report.round()).isZero();
    assertThat(report.decision()).isEqualTo(Decision.PASS);
    assertThat(report.quantizedMetrics())
        .containsEntry(ValidationCompleted.TRAINING_CPU_SECONDS, 0.0);
    assertThat(
            topics.readFor(Topics.DEPLOY, ModelApproved.class, ofJob(job), Duration.ofSeconds(3)))
        .isEmpty();
    assertThat(topics.readToEnd(Topics.TRAIN, RetrainRequested.class, ofJob(job))).isEmpty();
  }

  /** Under ptq_first, round 0 passing its bar is approved; missing it asks for round 1. */
  @Test
  void approvesOrSendsBackPostTrainingQuantizationUnderPtqFirst() {
    String model = "fashion-ptqfirst-" + UUID.randomUUID().toString().substring(0, 8);
    JobSpec lenient = ptqFirst(TestModels.spec(model, TestModels.lenient(), 3));
    String passing = newJob(lenient);
    topics.send(
        Topics.VALIDATE,
        passing,
        quantized(passing, 0, lenient, trainedInteger, trainedCalibrated));
    ModelApproved approved =
        topics.await(Topics.DEPLOY, ModelApproved.class, ofJob(passing), 1, WAIT).get(0);
    assertThat(approved.round()).isZero();

    JobSpec strict = ptqFirst(TestModels.spec(model + "-x", TestModels.impossible(), 3));
    String failing = newJob(strict);
    topics.send(
        Topics.VALIDATE, failing, quantized(failing, 0, strict, trainedInteger, trainedCalibrated));
    RetrainRequested retrain =
        topics.await(Topics.TRAIN, RetrainRequested.class, ofJob(failing), 1, WAIT).get(0);
    assertThat(retrain.nextRound()).isEqualTo(1);
    assertThat(retrain.epochs()).isEqualTo(Math.max(1, strict.training().qatEpochs()));
    assertThat(retrain.remedy().changes().get(0))
        .startsWith("epochs 0 → ")
        .contains("post-training quantization");
    assertThat(topics.readToEnd(Topics.DEPLOY, ModelApproved.class, ofJob(failing))).isEmpty();
  }

  private static JobSpec ptqFirst(JobSpec spec) {
    return new JobSpec(
        spec.name(),
        spec.data(),
        spec.model(),
        spec.quantization(),
        spec.training(),
        spec.thresholds(),
        spec.maxRounds(),
        null,
        Strategy.PTQ_FIRST);
  }

  @Test
  void failsJobWithBestRoundWhenNoRoundsAreLeft() {
    assertThat(models.trainedAccuracy()).isGreaterThan(models.untrainedAccuracy());
    JobSpec spec = TestModels.spec("fashion-reject", TestModels.impossible(), 2);
    String job = newJob(spec);
    topics.send(Topics.VALIDATE, job, quantized(job, 1, spec, trainedInteger, trainedCalibrated));
    topics.send(
        Topics.VALIDATE, job, quantized(job, 2, spec, untrainedInteger, untrainedCalibrated));

    JobFailed failed = topics.await(Topics.STATUS, JobFailed.class, ofJob(job), 1, WAIT).get(0);
    assertThat(failed.round()).isEqualTo(2);
    assertThat(failed.bestRound()).isEqualTo(1);
    assertThat(failed.bestCheckpoint()).isEqualTo(trainedInteger);
    assertThat(failed.checkpoint()).isEqualTo(untrainedInteger);
    assertThat(failed.reason()).contains("no rounds left").contains("accuracy");

    assertThat(topics.readToEnd(Topics.STATUS, ValidationCompleted.class, ofJob(job)))
        .extracting(ValidationCompleted::decision)
        .containsExactly(Decision.RETRAIN, Decision.REJECT);
    assertThat(topics.readToEnd(Topics.TRAIN, RetrainRequested.class, ofJob(job)))
        .extracting(RetrainRequested::nextRound)
        .containsExactly(2);
  }

  @Test
  void decidesOnceForDuplicatedQuantizedModel() {
    JobSpec spec =
        TestModels.spec(
            "fashion-dup-" + UUID.randomUUID().toString().substring(0, 8), TestModels.lenient(), 3);
    String job = newJob(spec);
    QuantizedModelReady event = quantized(job, 1, spec, trainedInteger, trainedCalibrated);
    topics.send(Topics.VALIDATE, job, event);
    topics.await(Topics.DEPLOY, ModelApproved.class, ofJob(job), 1, WAIT);
    double duplicatesBefore = duplicates();

    topics.send(Topics.VALIDATE, job, event);
    EventTopics.waitUntil(
        this::duplicates, d -> d >= duplicatesBefore + 1, POLL, Duration.ofSeconds(60));

    assertThat(duplicates()).isEqualTo(duplicatesBefore + 1);
    assertThat(topics.readToEnd(Topics.DEPLOY, ModelApproved.class, ofJob(job))).hasSize(1);
    assertThat(topics.readToEnd(Topics.STATUS, ValidationCompleted.class, ofJob(job))).hasSize(1);
    assertThat(registry(spec.name())).hasSize(1);
    assertThat(topics.readToEnd(Topics.TRAIN, RetrainRequested.class, ofJob(job))).isEmpty();
  }

  @Test
  void reportsBaselineEvaluation() {
    JobSpec spec = TestModels.spec("fashion-baseline", TestModels.lenient(), 3);
    String job = newJob(spec);
    List<StatusUpdate> updates = topics.readToEnd(Topics.STATUS, StatusUpdate.class, ofJob(job));
    assertThat(updates).extracting(StatusUpdate::stage).contains("baseline-validation");
    assertThat(updates.get(0).message())
        .contains(String.format(Locale.ROOT, "accuracy %.4f", models.floatAccuracy()));
  }

  /** A new job whose baseline the validator has evaluated. */
  private String newJob(JobSpec spec) {
    String job = "job-" + UUID.randomUUID();
    topics.send(
        Topics.VALIDATE,
        job,
        new FloatCheckpointReady(
            QatEvent.newEventId(),
            job,
            0,
            baseline,
            Instant.now(),
            spec,
            true,
            Map.of("loss", 1.0)));
    List<StatusUpdate> done =
        topics.await(Topics.STATUS, StatusUpdate.class, ofJob(job), 1, WAIT).stream()
            .filter(s -> s.stage().equals("baseline-validation"))
            .toList();
    assertThat(done).hasSize(1);
    return job;
  }

  /** A round as quantizers wrote it before the ONNX export: validated by the integer engine. */
  static QuantizedModelReady quantized(
      String job, int round, JobSpec spec, CheckpointRef integer, CheckpointRef calibrated) {
    return quantized(job, round, spec, integer, calibrated, null);
  }

  static QuantizedModelReady quantized(
      String job,
      int round,
      JobSpec spec,
      CheckpointRef integer,
      CheckpointRef calibrated,
      CheckpointRef onnx) {
    return new QuantizedModelReady(
        QatEvent.newEventId(),
        job,
        round,
        integer,
        Instant.now(),
        spec,
        calibrated,
        Map.of("calibrationLoss", 0.5),
        onnx);
  }

  private List<Received> registry(String model) {
    return topics.readToEnd(
        Topics.MODELS, r -> r.is(ModelApproved.class, a -> a.modelName().equals(model)));
  }

  private double duplicates() {
    return meters.counter(ValidatorMetrics.DUPLICATES).count();
  }
}
