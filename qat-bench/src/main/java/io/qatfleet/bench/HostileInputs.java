package io.qatfleet.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qatfleet.bench.ReliabilityReport.Hostile;
import io.qatfleet.cli.fleet.EventTail;
import io.qatfleet.cli.fleet.JobClient;
import io.qatfleet.cli.fleet.LocalFleet;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.json.Json;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.TrainRequested;
import io.qatfleet.messaging.integrity.EventSeal;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.topic.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The hostile-input pass of {@code qat bench chaos}, played while honest jobs run: oversized specs
 * through the job API (each must be a 400 naming its cap), and records written straight onto the
 * topics — a chunk-count bomb on {@code qat.checkpoints}, a checkpoint reference claiming 2 GiB,
 * malformed and forged events (one with a megabyte-long job id), a duplicated genuine event. The 2
 * GiB reference and the sealed malformed event are written as a fleet insider would, sealed with
 * the fleet's key, so that the check behind the seal is what is tested. Each input's expected and
 * observed outcome goes into the report.
 */
final class HostileInputs {

  /** How long a send keeps trying while the broker is down. */
  private static final Duration WAIT = Duration.ofMinutes(3);

  /**
   * How long an input's outcome (a dead letter, the honest job's validation) is waited for. The
   * faults of the same run can leave a stage without a consumer for minutes: each SIGKILLed
   * consumer stays in its group until its session times out (45 s), so kills in a row, a broker
   * restart and the outage add up (a full run's quantizer once took nearly 5 minutes to take up the
   * 2 GiB reference). The wait bounds the pass, it is no limit on the fleet.
   */
  private static final Duration OUTCOME_WAIT = Duration.ofMinutes(15);

  private final LocalFleet fleet;
  private final FreshReads reads;
  private final JobClient api;
  private final JobSpec honest;
  private final EventSeal seal;
  private final EventCodec codec = new EventCodec();

  HostileInputs(LocalFleet fleet, FreshReads reads, JobClient operatorApi, JobSpec honest) {
    this.fleet = fleet;
    this.reads = reads;
    this.api = operatorApi;
    this.honest = honest;
    this.seal = EventSeal.fromBase64("the local fleet's event key", fleet.eventKey());
  }

  List<Hostile> run() throws Exception {
    List<Hostile> out = new ArrayList<>();
    out.add(refusedSpec("MLP with denseUnits [40000, 40000]", mlp(40000, 40000)));
    out.add(refusedSpec("CNN with 64 conv layers", convLayers(64)));
    out.add(refusedSpec("floatEpochs 1,000,000,000", epochs(1_000_000_000)));
    try (KafkaProducer<String, byte[]> producer =
        KafkaClientSettings.bootstrap(fleet.bootstrapServers(), "chaos")
            .producer(
                "hostile",
                new StringSerializer(),
                new ByteArraySerializer(),
                KafkaClientSettings.durableProducer())) {
      out.add(chunkCountBomb(producer));
      out.add(hugeReference(producer));
      out.add(unsealedTrainRequest(producer));
      out.add(oversizedTrigger(producer));
      out.add(sealedMalformedEvent(producer));
      out.add(duplicatedGenuineEvent(producer));
    }
    return out;
  }

  private Hostile refusedSpec(String what, String spec) {
    try {
      String jobId = api.submit(spec);
      return new Hostile(
          what + " via POST /jobs", "400 naming the cap", "accepted: " + jobId, false);
    } catch (JobClient.JobApiException e) {
      String message = e.getMessage();
      boolean named = message.startsWith("invalid job spec") && message.contains("qat.budget.");
      return new Hostile(
          what + " via POST /jobs", "400 naming the cap", abbreviate(message), named);
    }
  }

  /**
   * A record on {@code qat.checkpoints} whose headers claim two billion chunks, then an honest job:
   * the readers skip and count it (nothing allocated from the claim), and the honest job's
   * checkpoints still travel.
   */
  private Hostile chunkCountBomb(KafkaProducer<String, byte[]> producer) throws Exception {
    ProducerRecord<String, byte[]> bomb =
        new ProducerRecord<>(Topics.CHECKPOINTS, "bomb", new byte[] {1, 2, 3});
    String sha = HexFormat.of().formatHex(new byte[32]);
    bomb.headers().add(KafkaCheckpointStore.HEADER_SHA256, ascii(sha));
    bomb.headers().add(KafkaCheckpointStore.HEADER_CHUNK_INDEX, ascii("0"));
    bomb.headers().add(KafkaCheckpointStore.HEADER_CHUNK_COUNT, ascii("2000000000"));
    bomb.headers().add(KafkaCheckpointStore.HEADER_TOTAL_BYTES, ascii("2000000000"));
    sendSurvivingOutages(producer, bomb);
    String jobId = api.submit(honest.toJson());
    boolean quantized =
        reads
            .await(
                s ->
                    s.event().jobId().equals(jobId)
                        && s.topic().equals(Topics.VALIDATE)
                        && !(s.event() instanceof FloatCheckpointReady f && f.baseline()),
                OUTCOME_WAIT)
            .isPresent();
    return new Hostile(
        "chunk-count bomb on qat.checkpoints (count 2,000,000,000), then an honest job",
        "skipped and counted; the honest job's checkpoints still read",
        quantized
            ? "honest job " + shortId(jobId) + " reached validation after it"
            : "honest job " + shortId(jobId) + " did not reach validation",
        quantized);
  }

  /** A sealed round naming a checkpoint of 2 GiB: refused before a byte is allocated. */
  private Hostile hugeReference(KafkaProducer<String, byte[]> producer) throws Exception {
    String jobId = UUID.randomUUID().toString();
    CheckpointRef huge = new CheckpointRef(HexFormat.of().formatHex(new byte[32]), 1L << 31);
    FloatCheckpointReady event =
        new FloatCheckpointReady(
            QatEvent.newEventId(), jobId, 1, huge, Instant.now(), honest, false, Map.of());
    send(producer, Topics.QUANTIZE, jobId, codec.encode(event), true);
    return deadLettered(
        "sealed FloatCheckpointReady naming a 2 GiB checkpoint (insider)",
        jobId,
        "CHECKPOINT_TOO_LARGE");
  }

  /** An outsider's TrainRequested for a job's round, without the fleet's seal. */
  private Hostile unsealedTrainRequest(KafkaProducer<String, byte[]> producer) throws Exception {
    String jobId = UUID.randomUUID().toString();
    CheckpointRef start = CheckpointRef.of(ascii("planted " + jobId));
    TrainRequested forged =
        new TrainRequested(
            QatEvent.newEventId(),
            jobId,
            1,
            start,
            Instant.now(),
            honest,
            "forged",
            1,
            1e-3,
            start);
    send(producer, Topics.TRAIN, jobId, codec.encode(forged), false);
    return toldNothing(
        deadLettered("unsealed TrainRequested (outsider)", jobId, "UNSEALED_EVENT"), jobId);
  }

  /**
   * An outsider's record on the unsealed {@code qat.triggers} whose job id is a megabyte long: its
   * dead letter must still fit {@code qat.dlq} (copied whole, it did not, and the trainer retried
   * it for ever), and no job may be told of it.
   */
  private Hostile oversizedTrigger(KafkaProducer<String, byte[]> producer) throws Exception {
    String key = UUID.randomUUID().toString();
    String hugeId = "a".repeat(1_000_000);
    send(producer, Topics.TRIGGERS, key, ascii("{\"jobId\": \"" + hugeId + "\"}"), false);
    return toldNothing(
        deadLettered(
            "unsealed 1 MB record with a 1 MB job id on qat.triggers (outsider)",
            key,
            "UNKNOWN_SCHEMA_VERSION"),
        key);
  }

  /** {@code hostile}, also checking that no job {@code jobId} was told of it by a status. */
  private Hostile toldNothing(Hostile hostile, String jobId) {
    Optional<EventTail.Seen> status =
        reads.await(
            s -> s.event() instanceof StatusUpdate u && u.jobId().equals(jobId),
            Duration.ofSeconds(10));
    return new Hostile(
        hostile.input(),
        hostile.expected() + ", no job told",
        hostile.observed()
            + (status.isPresent() ? "; the job was told: a StatusUpdate" : "; no StatusUpdate"),
        hostile.asExpected() && status.isEmpty());
  }

  /** Bytes that are not an event, sealed: the seal passes, the decoder refuses. */
  private Hostile sealedMalformedEvent(KafkaProducer<String, byte[]> producer) throws Exception {
    String jobId = UUID.randomUUID().toString();
    send(producer, Topics.TRAIN, jobId, ascii("{\"type\": \"TrainRequested\", "), true);
    return deadLettered("sealed malformed JSON on qat.train (insider)", jobId, "MALFORMED_JSON");
  }

  /**
   * A genuine, sealed TrainRequested of a finished job written again: the trainer skips it (its
   * ledger says the round is done) and no second round appears.
   */
  private Hostile duplicatedGenuineEvent(KafkaProducer<String, byte[]> producer) throws Exception {
    // A job must have finished first: wait for the first approval or failure.
    reads.await(HostileInputs::ended, OUTCOME_WAIT);
    List<EventTail.Seen> all = reads.all();
    Optional<EventTail.Seen> genuine =
        all.stream()
            .filter(s -> s.event() instanceof TrainRequested && s.topic().equals(Topics.TRAIN))
            .filter(
                s ->
                    all.stream()
                        .anyMatch(e -> e.event().jobId().equals(s.event().jobId()) && ended(e)))
            .findFirst();
    if (genuine.isEmpty()) {
      return new Hostile(
          "a finished job's TrainRequested written again",
          "skipped as a duplicate",
          "no finished job to copy from",
          false);
    }
    QatEvent event = genuine.get().event();
    send(producer, Topics.TRAIN, event.jobId(), codec.encode(event), true);
    Thread.sleep(Duration.ofSeconds(20).toMillis());
    long rounds =
        reads.all().stream()
            .filter(s -> s.event().jobId().equals(event.jobId()))
            .filter(
                s ->
                    s.topic().equals(Topics.QUANTIZE)
                        && s.event() instanceof FloatCheckpointReady f
                        && f.round() == event.round())
            .count();
    return new Hostile(
        "a finished job's TrainRequested written again (sealed copy)",
        "skipped as a duplicate: still one round " + event.round(),
        rounds + " round-" + event.round() + " outcome(s) after 20 s",
        rounds == 1);
  }

  private Hostile deadLettered(String what, String jobId, String reason) {
    long sent = System.nanoTime();
    Optional<EventTail.Seen> letter =
        reads.await(
            s -> s.event() instanceof DeadLetter d && d.jobId().equals(jobId), OUTCOME_WAIT);
    long seconds = Duration.ofNanos(System.nanoTime() - sent).toSeconds();
    String observed =
        letter
            .map(s -> (DeadLetter) s.event())
            .map(d -> d.errorType() + " after " + seconds + " s: " + abbreviate(d.reason()))
            .orElse("no dead letter within " + OUTCOME_WAIT.toMinutes() + " min");
    boolean ok = letter.map(s -> ((DeadLetter) s.event()).errorType().equals(reason)).orElse(false);
    return new Hostile(what, "dead letter " + reason, observed, ok);
  }

  private void send(
      KafkaProducer<String, byte[]> producer,
      String topic,
      String key,
      byte[] value,
      boolean sealed)
      throws Exception {
    ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, value);
    if (sealed) {
      seal.sealInto(record.headers(), key, value);
    }
    sendSurvivingOutages(producer, record);
  }

  /**
   * Sends {@code record}, trying again for up to {@link #WAIT} while the broker is down: the faults
   * of the same run hold it down for a while, and a hostile input must still be delivered.
   */
  private static void sendSurvivingOutages(
      KafkaProducer<String, byte[]> producer, ProducerRecord<String, byte[]> record)
      throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      try {
        producer.send(record).get(30, TimeUnit.SECONDS);
        return;
      } catch (ExecutionException
          | TimeoutException
          | org.apache.kafka.common.errors.TimeoutException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(5000);
      }
    }
  }

  private static boolean ended(EventTail.Seen s) {
    return s.event() instanceof ModelApproved || s.event() instanceof JobFailed;
  }

  private String mlp(int... units) {
    ObjectNode spec = specTree();
    ObjectNode model = spec.putObject("model");
    model.put("architecture", "mlp");
    ArrayNode dense = model.putArray("denseUnits");
    for (int u : units) {
      dense.add(u);
    }
    return spec.toString();
  }

  private String convLayers(int n) {
    ObjectNode spec = specTree();
    ObjectNode model = spec.putObject("model");
    model.put("architecture", "cnn");
    ArrayNode conv = model.putArray("convChannels");
    for (int i = 0; i < n; i++) {
      conv.add(8);
    }
    model.putArray("denseUnits").add(16);
    return spec.toString();
  }

  private String epochs(int floatEpochs) {
    ObjectNode spec = specTree();
    ((ObjectNode) spec.get("training")).put("floatEpochs", floatEpochs);
    return spec.toString();
  }

  private ObjectNode specTree() {
    try {
      return (ObjectNode) Json.MAPPER.readTree(honest.toJson());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static String shortId(String jobId) {
    return jobId.substring(0, Math.min(8, jobId.length()));
  }

  private static String abbreviate(String s) {
    return s.length() <= 160 ? s : s.substring(0, 160) + "...";
  }
}
