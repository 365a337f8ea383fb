package io.qatfleet.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.RgbImageFolders;
import io.qatfleet.messaging.approval.ApprovalKeys;
import io.qatfleet.messaging.checkpoint.RetainedCheckpointStore;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.ModelClaimed;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.RetrainRequested;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.ValidationCompleted;
import io.qatfleet.messaging.integrity.EventSeal;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.topic.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What {@link FleetEndToEndIT} reads from a running {@link LocalFleet}, and writes into it: a job's
 * events as an {@link EventTail} on every event topic saw them (its stage decisions, its round 0
 * beside them, its progress), the approved checkpoint from the fleet's store and the approval's
 * signature, the services' management endpoints, and records on the fleet's topics written as an
 * outsider (unsealed) or as an insider (sealed with the fleet's event key).
 */
final class FleetProbe {

  /** How long a job may take to be approved or to fail. */
  static final Duration JOB_TIMEOUT = Duration.ofMinutes(8);

  /** The trainer's stage name in the baseline's progress statuses. */
  static final String BASELINE_STAGE = "baseline";

  private final LocalFleet fleet;
  private final EventTail events;
  private final Path runDir;
  private Path imageFolder;

  /** Reads {@code fleet}'s events through {@code events}; writes its data under {@code runDir}. */
  FleetProbe(LocalFleet fleet, EventTail events, Path runDir) {
    this.fleet = fleet;
    this.events = events;
    this.runDir = runDir;
  }

  /** Waits until the job is approved or has failed, then a little longer for any duplicate. */
  void awaitEnd(String jobId) {
    assertThat(
            events.await(
                s ->
                    s.event().jobId().equals(jobId)
                        && (s.event() instanceof ModelApproved || s.event() instanceof JobFailed),
                JOB_TIMEOUT))
        .as(
            "job %s approved or failed within %s; logs under %s",
            jobId, JOB_TIMEOUT, fleet.logDir())
        .isPresent();
    // Let duplicates, if any were to come, arrive before asserting there are none.
    sleep(Duration.ofSeconds(3));
  }

  /** The job's JobSubmitted, once the trainer has published it. */
  JobSubmitted awaitSubmitted(String jobId) {
    return (JobSubmitted)
        events
            .await(
                s -> s.event() instanceof JobSubmitted && s.event().jobId().equals(jobId),
                Duration.ofSeconds(30))
            .orElseThrow()
            .event();
  }

  /** Waits for the trainer's progress status of the job's baseline in its second epoch. */
  void assertBaselineReachesSecondEpoch(String jobId) {
    assertThat(
            events.await(
                s ->
                    s.event() instanceof StatusUpdate u
                        && u.jobId().equals(jobId)
                        && u.round() == 0
                        && u.stage().equals(BASELINE_STAGE)
                        && u.epoch() != null
                        && u.epoch() >= 2,
                Duration.ofMinutes(4)))
        .as("the baseline reached its second epoch")
        .isPresent();
  }

  /**
   * The job's stage events (not progress), excluding the registry copy on qat.models and round 0's
   * post-training quantization, which runs beside round 1 ({@link #postTrainingQuantization}).
   */
  List<QatEvent> decisions(String jobId) {
    return events.ofJob(jobId).stream()
        .filter(s -> !s.topic().equals(Topics.MODELS) && !s.topic().equals(Topics.JOBS))
        .filter(s -> !s.topic().equals(Topics.OWNERS))
        .filter(s -> !s.topic().equals(Topics.DLQ))
        .filter(s -> !isPostTrainingQuantization(s))
        .map(EventTail.Seen::event)
        .filter(e -> !(e instanceof StatusUpdate))
        .collect(Collectors.toList());
  }

  /** Round 0's quantization and validation, in the order they were published. */
  List<QatEvent> postTrainingQuantization(String jobId) {
    return events.ofJob(jobId).stream()
        .filter(s -> s.event().round() == 0)
        .map(EventTail.Seen::event)
        .filter(e -> e instanceof QuantizedModelReady || e instanceof ValidationCompleted)
        .collect(Collectors.toList());
  }

  /** The baseline handed to the quantizer, and what the quantizer and validator make of it. */
  private static boolean isPostTrainingQuantization(EventTail.Seen s) {
    QatEvent e = s.event();
    return e.round() == 0
        && ((e instanceof FloatCheckpointReady && s.topic().equals(Topics.QUANTIZE))
            || e instanceof QuantizedModelReady
            || e instanceof ValidationCompleted);
  }

  /** The trainer's progress statuses of the job's baseline that name an epoch, after a moment. */
  List<StatusUpdate> baselineEpochsAfter(String jobId, Instant after) {
    return events.ofJob(jobId).stream()
        .map(EventTail.Seen::event)
        .filter(
            e ->
                e instanceof StatusUpdate u
                    && u.round() == 0
                    && u.stage().equals(BASELINE_STAGE)
                    && u.epoch() != null)
        .filter(e -> e.timestamp().isAfter(after))
        .map(StatusUpdate.class::cast)
        .collect(Collectors.toList());
  }

  /** The job's report, as {@code qat status} builds it from every event of the job. */
  JobSummary summary(String jobId) {
    return JobSummary.of(jobId, events.ofJob(jobId).stream().map(EventTail.Seen::event).toList());
  }

  /** The job's JobSubmitted names {@code owner}, and a ModelClaimed gives the owner the model. */
  void assertOwnedBy(String jobId, String modelName, String owner) {
    assertThat(events.ofJob(jobId))
        .extracting(EventTail.Seen::event)
        .anySatisfy(
            e ->
                assertThat(e)
                    .isInstanceOfSatisfying(
                        JobSubmitted.class, j -> assertThat(j.owner()).isEqualTo(owner)))
        .anySatisfy(
            e ->
                assertThat(e)
                    .isInstanceOfSatisfying(
                        ModelClaimed.class,
                        c -> {
                          assertThat(c.modelName()).isEqualTo(modelName);
                          assertThat(c.owner()).isEqualTo(owner);
                        }));
  }

  /** The approval's integer checkpoint, fetched from the fleet's store as `qat pull` does. */
  Checkpoint approvedCheckpoint(ModelApproved approved) {
    try (RetainedCheckpointStore store =
        RetainedCheckpointStore.of(
            KafkaClientSettings.bootstrap(fleet.bootstrapServers(), "e2e-test"))) {
      return new CheckpointCodec()
          .decode(
              store.get(approved.checkpoint(), Duration.ofSeconds(60)),
              approved.checkpoint().sha256());
    }
  }

  /** Throws unless the approval is signed by the key pair the local fleet generated. */
  void verifyApproval(ModelApproved approved) throws Exception {
    ApprovalKeys.verifier(fleet.approvalPublicKeyFile()).verify(approved);
  }

  /** A service's metrics, in Prometheus' text format. */
  String metrics(String service) throws Exception {
    return get(service, "/q/metrics");
  }

  /** The body of a GET of {@code path} on a service's management port, which must answer 200. */
  String get(String service, String path) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(fleet.managementUrl(service) + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  /**
   * The status code of an anonymous GET of {@code path} on a service's API port (not its management
   * port).
   */
  int apiStatus(String service, String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(fleet.url(service) + path)).build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  /**
   * The RGB image folder of the data-by-reference tests ({@link FleetJobs#imageFolderJob}), written
   * once under the run directory.
   */
  synchronized Path imageFolder() throws IOException {
    if (imageFolder == null) {
      Path folder = runDir.resolve("rgb-image-folder");
      RgbImageFolders.write(
          folder, FleetJobs.FOLDER_TRAIN_PER_CLASS, FleetJobs.FOLDER_TEST_PER_CLASS);
      DatasetLoader.clearCache();
      imageFolder = folder;
    }
    return imageFolder;
  }

  /** Writes an event as an outsider would: straight to the broker, with no seal. */
  void publish(String topic, String key, QatEvent event) throws Exception {
    publish(new ProducerRecord<>(topic, key, new EventCodec().encode(event)));
  }

  /** Writes an event as a fleet insider would: sealed with the fleet's event key. */
  void publishSealed(String topic, String key, QatEvent event) throws Exception {
    ProducerRecord<String, byte[]> record =
        new ProducerRecord<>(topic, key, new EventCodec().encode(event));
    EventSeal.fromBase64("QAT_EVENT_KEY", fleet.eventKey())
        .sealInto(record.headers(), record.key(), record.value());
    publish(record);
  }

  private void publish(ProducerRecord<String, byte[]> record) throws Exception {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, fleet.bootstrapServers()),
            new StringSerializer(),
            new ByteArraySerializer())) {
      producer.send(record).get(30, TimeUnit.SECONDS);
    }
  }

  /** A progress status of round 0, half done, in {@code stage}, saying {@code message}. */
  static StatusUpdate progress(String jobId, String stage, String message) {
    return new StatusUpdate(
        QatEvent.newEventId(),
        jobId,
        0,
        null,
        Instant.now(),
        stage,
        0.5,
        message,
        null,
        null,
        null);
  }

  /**
   * The decisions ({@link #decisions}, as {@link #describe} writes them) of a job approved in round
   * 1, its first and only QAT round.
   */
  static final String[] APPROVED_IN_ROUND_1 = {
    "FloatCheckpointReady round 0 baseline",
    "TrainRequested round 1",
    "FloatCheckpointReady round 1",
    "QuantizedModelReady round 1",
    "ValidationCompleted round 1 PASS",
    "ModelApproved round 1"
  };

  /** One line of an event for comparing flows: its type and round, and its decision or target. */
  static String describe(QatEvent e) {
    String base = e.getClass().getSimpleName() + " round " + e.round();
    if (e instanceof FloatCheckpointReady f && f.baseline()) {
      return base + " baseline";
    }
    if (e instanceof ValidationCompleted v) {
      return base + " " + v.decision();
    }
    if (e instanceof RetrainRequested r) {
      return base + " -> " + r.nextRound();
    }
    return base;
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
