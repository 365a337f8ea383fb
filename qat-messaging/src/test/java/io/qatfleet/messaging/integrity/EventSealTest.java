package io.qatfleet.messaging.integrity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class EventSealTest {
  private static final byte[] KEY_BYTES = new byte[32];

  static {
    for (int i = 0; i < KEY_BYTES.length; i++) {
      KEY_BYTES[i] = (byte) i;
    }
  }

  private final EventSeal seal =
      EventSeal.fromBase64("test", Base64.getEncoder().encodeToString(KEY_BYTES));
  private final EventSeal otherFleet = EventSeal.fromBase64("other", EventSeal.generateKey());
  private final byte[] value =
      "{\"type\":\"TrainRequested\",\"jobId\":\"victim\"}".getBytes(StandardCharsets.UTF_8);

  @Test
  void sealsWithHmacSha256OverTheDocumentedInput() throws Exception {
    // The MAC worked independently of the class: domain, key length and key, value length and
    // value.
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(KEY_BYTES, "HmacSHA256"));
    mac.update("qat-seal-v1".getBytes(StandardCharsets.US_ASCII));
    mac.update(new byte[] {0, 0, 0, 6});
    mac.update("victim".getBytes(StandardCharsets.UTF_8));
    mac.update(ByteBuffer.allocate(4).putInt(value.length).array());
    mac.update(value);
    String expectedMac = Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal());
    String keyId =
        HexFormat.of()
            .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(KEY_BYTES), 0, 8);

    String header = new String(seal.seal("victim", value), StandardCharsets.US_ASCII);

    assertThat(header).isEqualTo("v1." + keyId + "." + expectedMac);
    assertThat(seal.keyId()).isEqualTo(keyId);
  }

  @Test
  void verifiesItsOwnSealFromHeaders() {
    RecordHeaders headers = new RecordHeaders();
    seal.sealInto(headers, "victim", value);
    seal.verify("victim", value, headers);
  }

  @Test
  void rejectsRecordWithoutSealAsUnsealed() {
    assertReason(
        () -> seal.verify("victim", value, new RecordHeaders()), RejectionReason.UNSEALED_EVENT);
  }

  @Test
  void rejectsRecordWithTwoSeals() {
    RecordHeaders headers = new RecordHeaders();
    headers.add(EventSeal.HEADER, seal.seal("victim", value));
    headers.add(EventSeal.HEADER, seal.seal("victim", value));
    assertReason(() -> seal.verify("victim", value, headers), RejectionReason.UNSEALED_EVENT);
  }

  @Test
  void rejectsAlteredValue() {
    byte[] header = seal.seal("victim", value);
    byte[] altered = value.clone();
    altered[altered.length - 3] = 'X';
    assertReason(() -> seal.verify("victim", altered, header), RejectionReason.BAD_SEAL);
  }

  @Test
  void rejectsSealMovedToAnotherRecordKey() {
    byte[] header = seal.seal("victim", value);
    assertReason(() -> seal.verify("other-job", value, header), RejectionReason.BAD_SEAL);
    assertReason(() -> seal.verify(null, value, header), RejectionReason.BAD_SEAL);
  }

  @Test
  void rejectsSealOfAnotherFleetNamingItsKey() {
    byte[] header = otherFleet.seal("victim", value);
    assertThatThrownBy(() -> seal.verify("victim", value, header))
        .isInstanceOfSatisfying(
            RejectedInputException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.BAD_SEAL))
        .hasMessageContaining("sealed with key " + otherFleet.keyId());
  }

  @Test
  void rejectsSealWithRightKeyIdButForgedMac() {
    String forged = "v1." + seal.keyId() + "." + "A".repeat(43);
    assertReason(
        () -> seal.verify("victim", value, forged.getBytes(StandardCharsets.US_ASCII)),
        RejectionReason.BAD_SEAL);
  }

  @Test
  void rejectsMalformedSeals() {
    for (String bad : new String[] {"", "v1", "v2.x.y", "v1." + seal.keyId() + ".***"}) {
      assertReason(
          () -> seal.verify("victim", value, bad.getBytes(StandardCharsets.US_ASCII)),
          RejectionReason.BAD_SEAL);
    }
    assertReason(() -> seal.verify("victim", value, (byte[]) null), RejectionReason.BAD_SEAL);
  }

  @Test
  void refusesKeysShorterThan32BytesNamingTheSetting() {
    String short16 = Base64.getEncoder().encodeToString(new byte[16]);
    assertThatThrownBy(() -> EventSeal.fromBase64("qat.event-key", short16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("qat.event-key")
        .hasMessageContaining("at least 32 bytes, got 16");
    assertThatThrownBy(() -> EventSeal.fromBase64("qat.event-key", "not base64!"))
        .hasMessageContaining("qat.event-key: not base64");
  }

  @Test
  void generatesDistinctKeysOfThirtyTwoBytes() {
    String a = EventSeal.generateKey();
    assertThat(Base64.getDecoder().decode(a)).hasSize(32);
    assertThat(a).isNotEqualTo(EventSeal.generateKey());
  }

  private static void assertReason(Runnable verify, RejectionReason reason) {
    assertThatThrownBy(verify::run)
        .isInstanceOfSatisfying(
            RejectedInputException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }
}
