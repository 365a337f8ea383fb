package io.qatfleet.messaging.approval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.core.json.Json;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.ThresholdSource;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * The approval signature: a canonical form worked out by hand, sign then verify, and every way a
 * forged or altered approval fails verification with its reason.
 */
class ApprovalSignatureTest {

  private static final String INT_SHA = "1".repeat(64);
  private static final String CAL_SHA = "ab".repeat(32);
  private static final KeyPair VALIDATOR = ApprovalKeys.generate();
  private static final KeyPair ATTACKER = ApprovalKeys.generate();
  private static final ApprovalSignature SIGNER =
      ApprovalSignature.signer(VALIDATOR.getPrivate(), VALIDATOR.getPublic());
  private static final ApprovalSignature VERIFIER =
      ApprovalSignature.verifier(VALIDATOR.getPublic());

  private static JobSpec spec() {
    return new JobSpec(
        "fashion-cnn",
        null,
        null,
        null,
        null,
        Map.of("accuracy", new MetricThreshold(null, 0.5, null)),
        3);
  }

  /** Every number a power of two (exact in binary), so the canonical decimals are short. */
  private static ModelApproved approval() {
    return new ModelApproved(
        "00000000-0000-4000-8000-000000000007",
        "job-7",
        2,
        new CheckpointRef(INT_SHA, 1024),
        Instant.parse("2026-03-01T12:00:00Z"),
        "fashion-cnn",
        3,
        Map.of("accuracy", 0.75, "agreement", 1.0),
        spec(),
        new CheckpointRef(CAL_SHA, 4096),
        Map.of("accuracy", new MetricThreshold(null, 0.5, null)),
        ThresholdSource.SPEC,
        null,
        null);
  }

  @Test
  void writesCanonicalFormWorkedOutByHand() {
    String expected =
        "{\"calibratedCheckpoint\":{\"bytes\":4096,\"sha256\":\""
            + CAL_SHA
            + "\"},\"checkpoint\":{\"bytes\":1024,\"sha256\":\""
            + INT_SHA
            + "\"},\"jobId\":\"job-7\",\"keyId\":\"0123456789abcdef\""
            + ",\"metrics\":{\"accuracy\":0.75,\"agreement\":1}"
            + ",\"modelName\":\"fashion-cnn\",\"round\":2"
            + ",\"specSha256\":\""
            + ApprovalSignature.specDigest(spec())
            + "\",\"statement\":\"qat-fleet/model-approval/v1\""
            + ",\"thresholdSource\":\"spec\",\"thresholds\":{\"accuracy\":{\"maxAbsDrop\":0.5}}"
            + ",\"version\":3}";

    assertThat(ApprovalSignature.canonicalForm(approval().withSignature("0123456789abcdef", "sig")))
        .isEqualTo(expected);
  }

  private static final String ONNX_SHA = "cd".repeat(32);

  @Test
  void writesCanonicalFormV2NamingTheOnnxModel() {
    String expected =
        "{\"calibratedCheckpoint\":{\"bytes\":4096,\"sha256\":\""
            + CAL_SHA
            + "\"},\"checkpoint\":{\"bytes\":1024,\"sha256\":\""
            + INT_SHA
            + "\"},\"jobId\":\"job-7\",\"keyId\":\"0123456789abcdef\""
            + ",\"metrics\":{\"accuracy\":0.75,\"agreement\":1}"
            + ",\"modelName\":\"fashion-cnn\""
            + ",\"onnxModel\":{\"bytes\":2048,\"sha256\":\""
            + ONNX_SHA
            + "\"},\"round\":2"
            + ",\"specSha256\":\""
            + ApprovalSignature.specDigest(spec())
            + "\",\"statement\":\"qat-fleet/model-approval/v2\""
            + ",\"thresholdSource\":\"spec\",\"thresholds\":{\"accuracy\":{\"maxAbsDrop\":0.5}}"
            + ",\"version\":3}";

    ModelApproved withOnnx = approval().withOnnxModel(new CheckpointRef(ONNX_SHA, 2048));
    assertThat(ApprovalSignature.canonicalForm(withOnnx.withSignature("0123456789abcdef", "sig")))
        .isEqualTo(expected);
  }

  @Test
  void verifiesApprovalNamingOnnxModel() {
    ModelApproved signed = SIGNER.sign(approval().withOnnxModel(new CheckpointRef(ONNX_SHA, 2048)));
    assertThat(VERIFIER.verify(signed)).isEqualTo(signed);
  }

  @Test
  void rejectsV2ApprovalStrippedOfItsOnnxModel() {
    ModelApproved signed = SIGNER.sign(approval().withOnnxModel(new CheckpointRef(ONNX_SHA, 2048)));
    ModelApproved stripped = strip(signed, null);
    assertThatThrownBy(() -> VERIFIER.verify(stripped))
        .isInstanceOf(RejectedInputException.class)
        .hasMessageContaining("does not match its content");
  }

  @Test
  void rejectsV2ApprovalWithAnotherOnnxModel() {
    ModelApproved signed = SIGNER.sign(approval().withOnnxModel(new CheckpointRef(ONNX_SHA, 2048)));
    ModelApproved swapped = strip(signed, new CheckpointRef("ef".repeat(32), 2048));
    assertThatThrownBy(() -> VERIFIER.verify(swapped))
        .isInstanceOf(RejectedInputException.class)
        .hasMessageContaining("does not match its content");
  }

  @Test
  void rejectsV1ApprovalGivenAnOnnxModel() {
    ModelApproved signed = SIGNER.sign(approval());
    ModelApproved extended = strip(signed, new CheckpointRef(ONNX_SHA, 2048));
    assertThatThrownBy(() -> VERIFIER.verify(extended))
        .isInstanceOf(RejectedInputException.class)
        .hasMessageContaining("does not match its content");
  }

  /** {@code a} with its ONNX model replaced by {@code onnx}, signature and key id kept. */
  private static ModelApproved strip(ModelApproved a, CheckpointRef onnx) {
    return new ModelApproved(
        a.eventId(),
        a.jobId(),
        a.round(),
        a.checkpoint(),
        a.timestamp(),
        a.modelName(),
        a.version(),
        a.metrics(),
        a.spec(),
        a.calibratedCheckpoint(),
        a.thresholds(),
        a.thresholdSource(),
        a.keyId(),
        a.signature(),
        onnx);
  }

  @Test
  void writesCanonicalJsonSortedWithoutNullsAndWithExactDecimals() throws Exception {
    JsonNode tree =
        Json.MAPPER.readTree("{\"b\": 2, \"a\": [0.1, null, \"x\\\"y\\n\"], \"c\": null}");

    // 0.1 is stored as the double nearest to it, whose exact value is written in full.
    assertThat(ApprovalSignature.canonicalJson(tree))
        .isEqualTo(
            "{\"a\":[0.1000000000000000055511151231257827021181583404541015625,null,"
                + "\"x\\\"y\\u000a\"],\"b\":2}");
  }

  @Test
  void digestsSpecIndependentlyOfFieldOrderAndLayout() {
    JobSpec a =
        JobSpec.fromJson(
            "{\"name\": \"m\", \"maxRounds\": 2, \"thresholds\": {\"accuracy\": {\"maxAbsDrop\":"
                + " 0.01}, \"macroF1\": {\"min\": 0.5}}}");
    JobSpec b =
        JobSpec.fromJson(
            "{\"thresholds\":{\"macroF1\":{\"min\":0.50},\"accuracy\":{\"maxAbsDrop\":1e-2}},"
                + "\"maxRounds\":2,\"name\":\"m\"}");
    JobSpec c =
        JobSpec.fromJson(
            "{\"name\": \"m\", \"maxRounds\": 2, \"thresholds\": {\"accuracy\": {\"maxAbsDrop\":"
                + " 0.02}, \"macroF1\": {\"min\": 0.5}}}");

    assertThat(ApprovalSignature.specDigest(a))
        .matches("[0-9a-f]{64}")
        .isEqualTo(ApprovalSignature.specDigest(b))
        .isNotEqualTo(ApprovalSignature.specDigest(c));
  }

  @Test
  void verifiesWhatItSigned() {
    ModelApproved signed = SIGNER.sign(approval());

    assertThat(signed.keyId()).isEqualTo(ApprovalSignature.keyId(VALIDATOR.getPublic()));
    assertThat(Base64.getDecoder().decode(signed.signature())).hasSize(64);
    assertThat(VERIFIER.verify(signed)).isEqualTo(signed);
  }

  @Test
  void verifiesSignedApprovalAfterTheWire() throws Exception {
    EventCodec codec = new EventCodec();
    ModelApproved signed = SIGNER.sign(approval());

    ModelApproved received = (ModelApproved) codec.decode(codec.encode(signed));

    assertThat(VERIFIER.verify(received)).isEqualTo(signed);
  }

  @Test
  void rejectsAlteredVersion() {
    ModelApproved signed = SIGNER.sign(approval());
    assertBadSignature(
            () -> VERIFIER.verify(copy(signed, 4, signed.checkpoint(), signed.metrics())))
        .hasMessageContaining("does not match its content");
  }

  @Test
  void rejectsAlteredCheckpointDigest() {
    ModelApproved signed = SIGNER.sign(approval());
    CheckpointRef other = new CheckpointRef("2".repeat(64), 1024);
    assertBadSignature(() -> VERIFIER.verify(copy(signed, 3, other, signed.metrics())));
  }

  @Test
  void rejectsAlteredCheckpointSize() {
    ModelApproved signed = SIGNER.sign(approval());
    CheckpointRef other = new CheckpointRef(INT_SHA, 1025);
    assertBadSignature(() -> VERIFIER.verify(copy(signed, 3, other, signed.metrics())));
  }

  @Test
  void rejectsAlteredMetric() {
    ModelApproved signed = SIGNER.sign(approval());
    Map<String, Double> metrics = new TreeMap<>(signed.metrics());
    metrics.put("accuracy", 0.76);
    assertBadSignature(() -> VERIFIER.verify(copy(signed, 3, signed.checkpoint(), metrics)));
  }

  @Test
  void rejectsAlteredThresholds() {
    ModelApproved signed = SIGNER.sign(approval());
    ModelApproved looser =
        signed
            .withThresholds(
                Map.of("accuracy", new MetricThreshold(null, 1.0, null)), ThresholdSource.SPEC)
            .withSignature(signed.keyId(), signed.signature());
    assertBadSignature(() -> VERIFIER.verify(looser));
  }

  @Test
  void rejectsApprovalOfAnotherKey() {
    ModelApproved forged =
        ApprovalSignature.signer(ATTACKER.getPrivate(), ATTACKER.getPublic()).sign(approval());

    assertBadSignature(() -> VERIFIER.verify(forged))
        .hasMessageContaining("signed by key " + ApprovalSignature.keyId(ATTACKER.getPublic()))
        .hasMessageContaining("trusted key is " + VERIFIER.keyId());
  }

  @Test
  void rejectsForgeryClaimingTheTrustedKeyId() {
    ModelApproved keyed = approval().withSignature(VERIFIER.keyId(), null);
    ModelApproved forged =
        keyed.withSignature(
            VERIFIER.keyId(),
            ApprovalSignature.signer(ATTACKER.getPrivate(), ATTACKER.getPublic())
                .sign(keyed)
                .signature());

    assertBadSignature(() -> VERIFIER.verify(forged))
        .hasMessageContaining("does not match its content");
  }

  @Test
  void rejectsSignatureThatIsNotBase64() {
    ModelApproved signed = SIGNER.sign(approval());
    ModelApproved tampered = signed.withSignature(signed.keyId(), "%%not*base64%%");
    assertBadSignature(() -> VERIFIER.verify(tampered)).hasMessageContaining("not base64");
  }

  @Test
  void rejectsTruncatedSignature() {
    ModelApproved signed = SIGNER.sign(approval());
    String truncated =
        Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}); // valid base64, 3 bytes
    assertBadSignature(() -> VERIFIER.verify(signed.withSignature(signed.keyId(), truncated)));
  }

  @Test
  void rejectsSignatureWithoutKeyId() {
    ModelApproved signed = SIGNER.sign(approval());
    assertBadSignature(() -> VERIFIER.verify(signed.withSignature(null, signed.signature())))
        .hasMessageContaining("names no key id");
  }

  @Test
  void rejectsUnsignedApproval() {
    assertThatThrownBy(() -> VERIFIER.verify(approval()))
        .isInstanceOfSatisfying(
            RejectedInputException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.UNSIGNED_APPROVAL))
        .hasMessageContaining("approval of fashion-cnn v3 (job job-7, round 2) is not signed");
  }

  @Test
  void refusesToSignWithoutThresholds() {
    ModelApproved bare =
        new ModelApproved(
            approval().eventId(),
            "job-7",
            2,
            approval().checkpoint(),
            approval().timestamp(),
            "fashion-cnn",
            3,
            approval().metrics(),
            spec(),
            approval().calibratedCheckpoint());
    assertThatThrownBy(() -> SIGNER.sign(bare)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesKeysThatAreNotOnePair() {
    assertThatThrownBy(() -> ApprovalSignature.signer(VALIDATOR.getPrivate(), ATTACKER.getPublic()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not belong");
  }

  @Test
  void verifierCannotSign() {
    assertThatThrownBy(() -> VERIFIER.sign(approval())).isInstanceOf(IllegalStateException.class);
  }

  private static ModelApproved copy(
      ModelApproved a, int version, CheckpointRef checkpoint, Map<String, Double> metrics) {
    return new ModelApproved(
        a.eventId(),
        a.jobId(),
        a.round(),
        checkpoint,
        a.timestamp(),
        a.modelName(),
        version,
        metrics,
        a.spec(),
        a.calibratedCheckpoint(),
        a.thresholds(),
        a.thresholdSource(),
        a.keyId(),
        a.signature());
  }

  private static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable>
      assertBadSignature(ThrowingCallable verify) {
    return assertThatThrownBy(verify)
        .isInstanceOfSatisfying(
            RejectedInputException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.BAD_SIGNATURE));
  }
}
