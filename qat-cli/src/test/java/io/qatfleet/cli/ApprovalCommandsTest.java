package io.qatfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.json.Json;
import io.qatfleet.core.model.ModelInit;
import io.qatfleet.core.onnx.OnnxExporter;
import io.qatfleet.core.pipeline.ModelCheckpoints;
import io.qatfleet.messaging.approval.ApprovalKeys;
import io.qatfleet.messaging.approval.ApprovalSignature;
import io.qatfleet.messaging.broker.EmbeddedKafka;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.ThresholdSource;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.topic.TopicAdmin;
import io.qatfleet.messaging.topic.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code qat verify} and {@code qat pull} against a real (embedded) broker holding approvals on
 * {@code qat.models} and {@code qat.deploy}: a genuine one passes; one signed by another key, one
 * whose version was altered after signing, and an unsigned one are refused with their reason.
 */
class ApprovalCommandsTest {

  private static final EventCodec CODEC = new EventCodec();
  private static final JobSpec SPEC = JobSpec.fromJson("{\"name\": \"genuine\"}");

  static {
    KafkaAccess.quietClientLogs();
  }

  @TempDir static Path keys;

  private static EmbeddedKafka broker;
  private static Path publicKey;
  private static KeyPair attacker;
  private static ModelApproved genuine;
  private static byte[] checkpointBytes;
  private static byte[] onnxBytes;
  private static byte[] keptBytes;

  @TempDir Path dir;

  private PrintStream originalOut;
  private PrintStream originalErr;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeAll
  static void publishApprovals() throws Exception {
    broker = EmbeddedKafka.start();
    KafkaClientSettings clients = KafkaClientSettings.bootstrap(broker.bootstrapServers(), "test");
    try (Admin admin = clients.admin("topics")) {
      TopicAdmin.ensureTopics(admin);
    }
    ApprovalKeys.generateInto(keys);
    publicKey = keys.resolve(ApprovalKeys.PUBLIC_KEY_FILE);
    ApprovalSignature validator =
        ApprovalKeys.signer(keys.resolve(ApprovalKeys.PRIVATE_KEY_FILE), publicKey);
    attacker = ApprovalKeys.generate();

    checkpointBytes =
        new CheckpointCodec()
            .encode(
                ModelCheckpoints.ofFloat(
                    SPEC.model(),
                    null,
                    ModelInit.initialState(SPEC.model(), 3),
                    new Provenance(
                        "job-genuine",
                        1,
                        null,
                        "fashion-mnist",
                        "test-code",
                        "2026-03-01T12:00:00Z")))
            .bytes();
    onnxBytes =
        OnnxExporter.exportFloat(SPEC.model(), ModelInit.initialState(SPEC.model(), 3), Map.of());
    CheckpointRef integer;
    CheckpointRef onnx;
    try (KafkaCheckpointStore store = new KafkaCheckpointStore(broker.bootstrapServers())) {
      integer = store.put(checkpointBytes);
      onnx = store.put(onnxBytes);
    }

    // An approved model whose checkpoint is only on qat.checkpoints.approved, where the validator
    // keeps it: its working copy on qat.checkpoints expired (here: was never written).
    keptBytes =
        new CheckpointCodec()
            .encode(
                ModelCheckpoints.ofFloat(
                    SPEC.model(),
                    null,
                    ModelInit.initialState(SPEC.model(), 5),
                    new Provenance(
                        "kept-job", 1, null, "fashion-mnist", "test-code", "2026-03-01T12:00:00Z")))
            .bytes();
    CheckpointRef kept;
    try (KafkaCheckpointStore approved =
        KafkaCheckpointStore.approved(
            clients,
            KafkaCheckpointStore.DEFAULT_CHUNK_BYTES,
            KafkaCheckpointStore.DEFAULT_MAX_CHECKPOINT_BYTES)) {
      kept = approved.put(keptBytes);
    }

    genuine = validator.sign(approval("genuine", 1, integer).withOnnxModel(onnx));
    ModelApproved forged =
        ApprovalSignature.signer(attacker.getPrivate(), attacker.getPublic())
            .sign(approval("forged", 1, integer));
    ModelApproved alteredOriginal = validator.sign(approval("altered", 1, integer));
    String altered =
        new String(CODEC.encode(alteredOriginal), StandardCharsets.UTF_8)
            .replace("\"version\":1,", "\"version\":2,");
    try (KafkaProducer<String, byte[]> producer =
        clients.producer(
            "approvals",
            new StringSerializer(),
            new ByteArraySerializer(),
            KafkaClientSettings.durableProducer())) {
      for (ModelApproved a :
          new ModelApproved[] {
            genuine,
            forged,
            alteredOriginal,
            approval("unsigned", 1, integer),
            validator.sign(approval("kept", 1, kept))
          }) {
        publish(producer, a.modelName(), CODEC.encode(a));
      }
      publish(producer, "altered", altered.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static void publish(KafkaProducer<String, byte[]> producer, String model, byte[] value)
      throws Exception {
    producer.send(new ProducerRecord<>(Topics.DEPLOY, model, value)).get(30, TimeUnit.SECONDS);
    producer.send(new ProducerRecord<>(Topics.MODELS, model, value)).get(30, TimeUnit.SECONDS);
  }

  private static ModelApproved approval(String model, int version, CheckpointRef integer) {
    return new ModelApproved(
        QatEvent.newEventId(),
        "job-" + model,
        1,
        integer,
        Instant.parse("2026-03-01T12:00:00Z"),
        model,
        version,
        Map.of("accuracy", 0.91, "agreement", 0.999),
        SPEC,
        CheckpointRef.of(("calibrated " + model).getBytes(StandardCharsets.UTF_8)),
        SPEC.thresholds(),
        ThresholdSource.SPEC,
        null,
        null);
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @BeforeEach
  void captureOutput() {
    originalOut = System.out;
    originalErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restoreOutput() {
    System.setOut(originalOut);
    System.setErr(originalErr);
  }

  private int qat(String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--bootstrap";
    all[args.length + 1] = broker.bootstrapServers();
    return QatCli.run(all);
  }

  private String outText() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String errText() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void verifiesGenuineApprovalOnOneLine() {
    int code = qat("verify", "genuine", "--public-key", publicKey.toString());

    assertThat(code).as(errText()).isZero();
    assertThat(outText())
        .isEqualTo(
            "OK genuine v1 job job-genuine checkpoint "
                + genuine.checkpoint().sha256()
                + " onnx "
                + CheckpointRef.sha256Hex(onnxBytes)
                + " key "
                + genuine.keyId()
                + System.lineSeparator());
  }

  @Test
  void verifiesNamedVersion() {
    assertThat(qat("verify", "genuine:1", "--public-key", publicKey.toString())).isZero();
    assertThat(outText()).startsWith("OK genuine v1 ");
  }

  @Test
  void refusesApprovalSignedByAnotherKey() {
    int code = qat("verify", "forged", "--public-key", publicKey.toString());

    assertThat(code).isEqualTo(1);
    assertThat(outText()).isEmpty();
    assertThat(errText().lines())
        .singleElement()
        .asString()
        .startsWith("qat verify: BAD_SIGNATURE: approval of forged v1")
        .contains("signed by key " + ApprovalSignature.keyId(attacker.getPublic()));
  }

  @Test
  void refusesApprovalWhoseVersionWasAltered() {
    int code = qat("verify", "altered", "--public-key", publicKey.toString());

    assertThat(code).isEqualTo(1);
    assertThat(errText())
        .contains("BAD_SIGNATURE: approval of altered v2")
        .contains("does not match its content");
  }

  @Test
  void stillVerifiesTheVersionThatWasSigned() {
    assertThat(qat("verify", "altered:1", "--public-key", publicKey.toString())).isZero();
    assertThat(outText()).startsWith("OK altered v1 ");
  }

  @Test
  void refusesUnsignedApproval() {
    assertThat(qat("verify", "unsigned", "--public-key", publicKey.toString())).isEqualTo(1);
    assertThat(errText())
        .contains("UNSIGNED_APPROVAL: approval of unsigned v1")
        .contains("not signed");
  }

  @Test
  void reportsUnknownModelAndVersion() {
    assertThat(qat("verify", "nope", "--public-key", publicKey.toString())).isEqualTo(1);
    assertThat(qat("verify", "genuine:9", "--public-key", publicKey.toString())).isEqualTo(1);
    assertThat(errText())
        .contains("no approved model 'nope' in qat.models")
        .contains("no approval of genuine:9");
  }

  @Test
  void verifiesWithTheKeyTheValidatorServes() throws Exception {
    String pem = Files.readString(publicKey);
    HttpServer validator = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    validator.createContext(
        "/approval-key",
        exchange -> {
          byte[] body = pem.getBytes(StandardCharsets.US_ASCII);
          exchange.getResponseHeaders().add("Qat-Key-Id", genuine.keyId());
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    validator.start();
    try {
      String url = "http://127.0.0.1:" + validator.getAddress().getPort();
      assertThat(qat("verify", "genuine", "--validator", url)).as(errText()).isZero();
      assertThat(qat("verify", "forged", "--validator", url)).isEqualTo(1);
    } finally {
      validator.stop(0);
    }
  }

  @Test
  void reportsUnreachableValidator() {
    assertThat(qat("verify", "genuine", "--validator", "http://127.0.0.1:1")).isEqualTo(1);
    assertThat(errText()).contains("cannot fetch the approval key from http://127.0.0.1:1");
  }

  @Test
  void pullsVerifiedCheckpointWithItsModelCard() throws Exception {
    int code = qat("pull", "genuine", "-o", dir.toString(), "--public-key", publicKey.toString());

    assertThat(code).as(errText()).isZero();
    String sha = genuine.checkpoint().sha256();
    Path file = dir.resolve(sha + ".safetensors");
    assertThat(Files.readAllBytes(file)).isEqualTo(checkpointBytes);
    assertThat(CheckpointRef.sha256Hex(Files.readAllBytes(file))).isEqualTo(sha);
    JsonNode card = Json.MAPPER.readTree(dir.resolve(sha + ".model-card.json").toFile());
    assertThat(card.get("modelName").asText()).isEqualTo("genuine");
    assertThat(card.get("version").asInt()).isEqualTo(1);
    assertThat(card.get("checkpoint").get("sha256").asText()).isEqualTo(sha);
    assertThat(card.get("checkpoint").get("file").asText()).isEqualTo(sha + ".safetensors");
    assertThat(card.get("spec").get("name").asText()).isEqualTo("genuine");
    assertThat(card.get("metrics").get("accuracy").asDouble()).isEqualTo(0.91);
    assertThat(card.get("thresholds").get("accuracy").get("maxAbsDrop").asDouble()).isEqualTo(0.01);
    assertThat(card.get("thresholdSource").asText()).isEqualTo("spec");
    assertThat(card.get("codeVersion").asText()).isEqualTo("test-code");
    assertThat(card.get("signature").get("keyId").asText()).isEqualTo(genuine.keyId());
    assertThat(card.get("signature").get("value").asText()).isEqualTo(genuine.signature());
    assertThat(card.get("signature").get("canonicalForm").asText())
        .isEqualTo(ApprovalSignature.canonicalForm(genuine));
    assertThat(outText()).startsWith("pulled genuine v1 (signed by key " + genuine.keyId() + ")");
    // The approval names an ONNX model: the exact file comes along, and the card names it.
    assertThat(Files.readAllBytes(dir.resolve("model.onnx"))).isEqualTo(onnxBytes);
    assertThat(card.get("onnxModel").get("sha256").asText())
        .isEqualTo(genuine.onnxModel().sha256())
        .isEqualTo(CheckpointRef.sha256Hex(onnxBytes));
    assertThat(card.get("onnxModel").get("file").asText()).isEqualTo("model.onnx");
    assertThat(card.get("signature").get("statement").asText())
        .isEqualTo(ApprovalSignature.STATEMENT_V2);
  }

  @Test
  void pullsApprovedCheckpointKeptOnlyOnTheApprovedTopic() throws Exception {
    int code = qat("pull", "kept", "-o", dir.toString(), "--public-key", publicKey.toString());

    assertThat(code).as(errText()).isZero();
    String sha = CheckpointRef.sha256Hex(keptBytes);
    assertThat(Files.readAllBytes(dir.resolve(sha + ".safetensors"))).isEqualTo(keptBytes);
  }

  @Test
  void pullsNothingOfAForgedApproval() throws Exception {
    int code = qat("pull", "forged", "-o", dir.toString(), "--public-key", publicKey.toString());

    assertThat(code).isEqualTo(1);
    assertThat(errText()).contains("BAD_SIGNATURE");
    try (var files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void rejectsMalformedVersionAsFailure() {
    assertThat(qat("verify", "genuine:zero", "--public-key", publicKey.toString())).isEqualTo(1);
    assertThat(errText()).contains("version >= 1");
  }
}
