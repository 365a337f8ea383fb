package io.qatfleet.messaging.integrity;

import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The fleet's seal on the events its services write: HMAC-SHA256 with a key only the three services
 * hold, over the record's key and value, carried in the record header {@value #HEADER}. A stage
 * acts on a work event only when its seal verifies (docs/fleet.md, "Events bound to accepted
 * jobs"): the chain of a job starts at the {@code JobSubmitted} that the authenticated job API
 * sealed, and every later event of the job is sealed by the service that produced it, so an event
 * nobody in the fleet wrote — a forged {@code TrainRequested} for another job's round, say — is
 * dead-lettered before it reaches a stage's ledger, whatever Kafka credentials its writer had.
 *
 * <p>Header value: {@code v1.<key id>.<base64url MAC>}, ASCII. The MAC input is {@code
 * "qat-seal-v1"}, then the record key's UTF-8 length (4 bytes, big-endian; -1 for no key) and
 * bytes, then the value's length (-1 for none) and bytes: the length prefixes keep key and value
 * from sliding into each other. The key id (first 8 bytes of the key's SHA-256, hex) only names
 * which key sealed a record, so that a record sealed under another fleet's key is reported as such.
 *
 * <p>Why a MAC and not a signature: every sealing party is a fleet service that also verifies, so a
 * shared secret loses nothing, costs a microsecond per record and needs no key pair per service.
 * Approvals, which parties outside the fleet verify, are signed with Ed25519 instead ({@code
 * ApprovalSignature}).
 */
public final class EventSeal {

  /** The record header holding the seal. */
  public static final String HEADER = "qat.seal";

  /** Fewest key bytes accepted: HMAC-SHA256's own output size. */
  public static final int MIN_KEY_BYTES = 32;

  private static final String VERSION = "v1";
  private static final byte[] DOMAIN = "qat-seal-v1".getBytes(StandardCharsets.US_ASCII);
  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;
  private final String keyId;

  private EventSeal(byte[] key) {
    if (key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException(
          "event key: must be at least " + MIN_KEY_BYTES + " bytes, got " + key.length);
    }
    this.key = new SecretKeySpec(key, ALGORITHM);
    this.keyId = keyId(key);
  }

  /**
   * The seal for a key given as base64 (the form of {@code qat.event-key} and its Secret).
   *
   * @throws IllegalArgumentException naming {@code setting} when the text is not base64 or the key
   *     is shorter than {@value #MIN_KEY_BYTES} bytes
   */
  public static EventSeal fromBase64(String setting, String base64) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(setting + ": not base64 (" + e.getMessage() + ")", e);
    }
    try {
      return new EventSeal(bytes);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          setting
              + ": "
              + e.getMessage()
              + "; generate one with `openssl rand -base64 "
              + MIN_KEY_BYTES
              + "`",
          e);
    }
  }

  /** A new random key of {@value #MIN_KEY_BYTES} bytes, base64: what a local fleet starts with. */
  public static String generateKey() {
    byte[] key = new byte[MIN_KEY_BYTES];
    new SecureRandom().nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  /** Which key this is, safe to log: the first 8 bytes of its SHA-256, hex. */
  public String keyId() {
    return keyId;
  }

  /** The header value that seals a record with this key and value. */
  public byte[] seal(String recordKey, byte[] value) {
    String text =
        VERSION
            + "."
            + keyId
            + "."
            + Base64.getUrlEncoder().withoutPadding().encodeToString(mac(recordKey, value));
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  /** Adds (replacing any) the seal header to {@code headers}. */
  public void sealInto(Headers headers, String recordKey, byte[] value) {
    headers.remove(HEADER);
    headers.add(HEADER, seal(recordKey, value));
  }

  /**
   * Checks a record's seal.
   *
   * @throws RejectedInputException {@link RejectionReason#UNSEALED_EVENT} when the record carries
   *     no seal (or more than one), {@link RejectionReason#BAD_SEAL} when its seal is malformed,
   *     made with another key, or does not match the key and value
   */
  public void verify(String recordKey, byte[] value, Headers headers) {
    Header only = null;
    int seals = 0;
    for (Header h : headers.headers(HEADER)) {
      only = h;
      seals++;
    }
    if (seals != 1) {
      throw new RejectedInputException(
          RejectionReason.UNSEALED_EVENT,
          seals == 0
              ? "record carries no " + HEADER + " header: no fleet service wrote it"
              : "record carries " + seals + " " + HEADER + " headers, expected one");
    }
    verify(recordKey, value, only.value());
  }

  /** {@link #verify(String, byte[], Headers)} for the header's value alone. */
  public void verify(String recordKey, byte[] value, byte[] seal) {
    String text = seal == null ? "" : new String(seal, StandardCharsets.US_ASCII);
    String[] parts = text.split("\\.", -1);
    if (parts.length != 3 || !parts[0].equals(VERSION)) {
      throw new RejectedInputException(
          RejectionReason.BAD_SEAL,
          HEADER + " is not of the form " + VERSION + ".<key id>.<mac>: " + abbreviate(text));
    }
    if (!parts[1].equals(keyId)) {
      throw new RejectedInputException(
          RejectionReason.BAD_SEAL,
          "sealed with key " + abbreviate(parts[1]) + ", this fleet's key is " + keyId);
    }
    byte[] claimed;
    try {
      claimed = Base64.getUrlDecoder().decode(parts[2]);
    } catch (IllegalArgumentException e) {
      throw new RejectedInputException(
          RejectionReason.BAD_SEAL, HEADER + "'s MAC is not base64url: " + abbreviate(parts[2]));
    }
    if (!MessageDigest.isEqual(claimed, mac(recordKey, value))) {
      throw new RejectedInputException(
          RejectionReason.BAD_SEAL,
          "seal does not match the record's key and value: altered or forged after sealing");
    }
  }

  private byte[] mac(String recordKey, byte[] value) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      mac.update(DOMAIN);
      byte[] keyBytes = recordKey == null ? null : recordKey.getBytes(StandardCharsets.UTF_8);
      mac.update(ByteBuffer.allocate(4).putInt(keyBytes == null ? -1 : keyBytes.length).array());
      if (keyBytes != null) {
        mac.update(keyBytes);
      }
      mac.update(ByteBuffer.allocate(4).putInt(value == null ? -1 : value.length).array());
      if (value != null) {
        mac.update(value);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no " + ALGORITHM, e);
    }
  }

  private static String keyId(byte[] key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
