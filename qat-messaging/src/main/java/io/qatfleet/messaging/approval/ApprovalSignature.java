package io.qatfleet.messaging.approval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.core.json.Json;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.ModelApproved;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.EdECKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The validator's signature on a {@link ModelApproved}: Ed25519 (the JDK's {@code java.security}
 * provider) over the approval's canonical form, so that a reader holding only the validator's
 * public key can tell a genuine approval from a forged or altered one (DESIGN.md §7: digests catch
 * accidents, signatures catch forgery).
 *
 * <p>The canonical form ({@link #canonicalForm}) is one line of canonical JSON, UTF-8: an object of
 * the statement ({@value #STATEMENT}, or {@value #STATEMENT_V2} for an approval that names an ONNX
 * model) as {@code statement}, the model name, version, job id and round, the integer and the
 * calibrated checkpoint (SHA-256 and size), the SHA-256 of the job spec's canonical JSON ({@link
 * #specDigest}), the metrics, the thresholds the model passed and where they came from, the key id,
 * and (v2 only) the ONNX model as {@code onnxModel} (SHA-256 and size). The two versions cannot be
 * mistaken for each other: each signs its own statement, so a v2 approval stripped of its ONNX
 * model (read as v1) or a v1 approval given one (read as v2) no longer verifies. Canonical JSON
 * here means: object members sorted by name (UTF-16 order), members whose value is null left out,
 * no whitespace, strings with {@code "}, {@code \} and control characters escaped as {@code \"},
 * {@code \\} and {@code \}{@code u00XX}, integers in decimal, and every other number as the exact
 * decimal value of its double, without trailing zeros ({@code 0.5}, {@code 1}, {@code
 * 0.01000000000000000020816681711721685132943093776702880859375}): no shortest-representation
 * printing, which differs between JDK releases. The event id and timestamp are not signed.
 *
 * <p>The key id is the first {@value #KEY_ID_HEX_DIGITS} hex digits of the SHA-256 of the public
 * key's X.509 encoding. Instances are immutable and thread-safe.
 */
public final class ApprovalSignature {

  /** The JDK's name of the signature algorithm and of the key pair type. */
  public static final String ALGORITHM = "Ed25519";

  /**
   * What a signed approval without an ONNX model states; a new canonical form gets a new statement.
   */
  public static final String STATEMENT = "qat-fleet/model-approval/v1";

  /** What a signed approval that names an ONNX model states (canonical form v2). */
  public static final String STATEMENT_V2 = "qat-fleet/model-approval/v2";

  public static final int KEY_ID_HEX_DIGITS = 16;

  private final PublicKey publicKey;
  private final PrivateKey privateKey;
  private final String keyId;

  private ApprovalSignature(PublicKey publicKey, PrivateKey privateKey) {
    requireEd25519(publicKey, "public key");
    this.publicKey = publicKey;
    this.privateKey = privateKey;
    this.keyId = keyId(publicKey);
  }

  /** Verifies approvals signed by the owner of {@code publicKey}. */
  public static ApprovalSignature verifier(PublicKey publicKey) {
    return new ApprovalSignature(publicKey, null);
  }

  /**
   * Signs approvals with {@code privateKey} and verifies them with {@code publicKey}.
   *
   * @throws IllegalArgumentException if a key is not Ed25519 or the two keys are not one pair
   */
  public static ApprovalSignature signer(PrivateKey privateKey, PublicKey publicKey) {
    requireEd25519(privateKey, "private key");
    ApprovalSignature s = new ApprovalSignature(publicKey, privateKey);
    byte[] probe = "qat-fleet key pair check".getBytes(StandardCharsets.UTF_8);
    if (!s.verifies(probe, s.signBytes(probe))) {
      throw new IllegalArgumentException(
          "the private key does not belong to the public key " + s.keyId);
    }
    return s;
  }

  /** The id of the key approvals are verified with (and signed with, by a signer). */
  public String keyId() {
    return keyId;
  }

  public PublicKey publicKey() {
    return publicKey;
  }

  /**
   * {@code approval} with this signer's key id and signature; whatever key id and signature it
   * carried are replaced.
   *
   * @throws IllegalStateException if this instance only verifies
   * @throws IllegalArgumentException if the approval does not say which thresholds it passed
   */
  public ModelApproved sign(ModelApproved approval) {
    if (privateKey == null) {
      throw new IllegalStateException("this ApprovalSignature only verifies (no private key)");
    }
    if (approval.thresholds() == null || approval.thresholdSource() == null) {
      throw new IllegalArgumentException(
          describe(approval) + " must state its thresholds and their source to be signed");
    }
    ModelApproved keyed = approval.withSignature(keyId, null);
    byte[] signature = signBytes(canonicalForm(keyed).getBytes(StandardCharsets.UTF_8));
    return approval.withSignature(keyId, Base64.getEncoder().encodeToString(signature));
  }

  /**
   * Returns {@code approval} if its signature verifies with this public key.
   *
   * @throws RejectedInputException {@link RejectionReason#UNSIGNED_APPROVAL} without a signature;
   *     {@link RejectionReason#BAD_SIGNATURE} when the key id is missing or another key's, the
   *     signature is not base64, or it does not match the approval's content
   */
  public ModelApproved verify(ModelApproved approval) {
    if (approval.signature() == null || approval.signature().isBlank()) {
      throw new RejectedInputException(
          RejectionReason.UNSIGNED_APPROVAL, describe(approval) + " is not signed");
    }
    if (approval.keyId() == null || approval.keyId().isBlank()) {
      throw bad(approval, "names no key id");
    }
    if (!approval.keyId().equals(keyId)) {
      throw bad(
          approval, "is signed by key " + approval.keyId() + ", but the trusted key is " + keyId);
    }
    byte[] signature;
    try {
      signature = Base64.getDecoder().decode(approval.signature());
    } catch (IllegalArgumentException e) {
      throw bad(approval, "has a signature that is not base64 (" + e.getMessage() + ")");
    }
    byte[] content = canonicalForm(approval).getBytes(StandardCharsets.UTF_8);
    if (!verifies(content, signature)) {
      throw bad(
          approval,
          "has a signature that does not match its content (altered or forged) for key " + keyId);
    }
    return approval;
  }

  /** The key id of {@code publicKey}: the first hex digits of the SHA-256 of its X.509 form. */
  public static String keyId(PublicKey publicKey) {
    return CheckpointRef.sha256Hex(publicKey.getEncoded()).substring(0, KEY_ID_HEX_DIGITS);
  }

  /** The text that is signed: canonical JSON of what the approval states (class Javadoc). */
  public static String canonicalForm(ModelApproved a) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode o = f.objectNode();
    o.put("statement", a.onnxModel() == null ? STATEMENT : STATEMENT_V2);
    o.put("modelName", a.modelName());
    o.put("version", a.version());
    o.put("jobId", a.jobId());
    o.put("round", a.round());
    o.set("checkpoint", checkpoint(a.checkpoint()));
    o.set("calibratedCheckpoint", checkpoint(a.calibratedCheckpoint()));
    o.put("specSha256", specDigest(a.spec()));
    ObjectNode metrics = o.putObject("metrics");
    a.metrics().forEach(metrics::put);
    if (a.thresholds() != null) {
      ObjectNode bar = o.putObject("thresholds");
      for (Map.Entry<String, MetricThreshold> e : a.thresholds().entrySet()) {
        bar.set(e.getKey(), Json.MAPPER.valueToTree(e.getValue()));
      }
    }
    if (a.thresholdSource() != null) {
      o.set("thresholdSource", Json.MAPPER.valueToTree(a.thresholdSource()));
    }
    if (a.keyId() != null) {
      o.put("keyId", a.keyId());
    }
    if (a.onnxModel() != null) {
      o.set("onnxModel", checkpoint(a.onnxModel()));
    }
    return canonicalJson(o);
  }

  /** Lowercase hex SHA-256 of the canonical JSON of {@code spec} (class Javadoc). */
  public static String specDigest(JobSpec spec) {
    String json = canonicalJson(Json.MAPPER.valueToTree(spec));
    return CheckpointRef.sha256Hex(json.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code node} as canonical JSON (class Javadoc). */
  public static String canonicalJson(JsonNode node) {
    StringBuilder out = new StringBuilder();
    write(node, out);
    return out.toString();
  }

  private static void write(JsonNode node, StringBuilder out) {
    if (node.isObject()) {
      List<String> names = new ArrayList<>();
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        if (!node.get(name).isNull()) {
          names.add(name);
        }
      }
      names.sort(null);
      out.append('{');
      for (int i = 0; i < names.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        string(names.get(i), out);
        out.append(':');
        write(node.get(names.get(i)), out);
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        write(node.get(i), out);
      }
      out.append(']');
    } else if (node.isTextual()) {
      string(node.textValue(), out);
    } else if (node.isIntegralNumber()) {
      out.append(node.bigIntegerValue());
    } else if (node.isNumber()) {
      out.append(decimal(node));
    } else if (node.isBoolean() || node.isNull()) {
      out.append(node.asText());
    } else {
      throw new IllegalArgumentException("no canonical JSON for a " + node.getNodeType());
    }
  }

  private static String decimal(JsonNode number) {
    BigDecimal exact;
    if (number.isBigDecimal()) {
      exact = number.decimalValue();
    } else {
      double v = number.doubleValue();
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException("no canonical JSON for the number " + v);
      }
      exact = new BigDecimal(v);
    }
    return exact.signum() == 0 ? "0" : exact.stripTrailingZeros().toPlainString();
  }

  private static void string(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
  }

  private static ObjectNode checkpoint(CheckpointRef ref) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("sha256", ref.sha256());
    node.put("bytes", ref.bytes());
    return node;
  }

  private byte[] signBytes(byte[] content) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(privateKey);
      s.update(content);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with " + ALGORITHM + ": " + e.getMessage(), e);
    }
  }

  private boolean verifies(byte[] content, byte[] signature) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initVerify(publicKey);
      s.update(content);
      return s.verify(signature);
    } catch (SignatureException | InvalidKeyException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot verify with " + ALGORITHM + ": " + e.getMessage(), e);
    }
  }

  private static void requireEd25519(java.security.Key key, String what) {
    if (key == null) {
      throw new IllegalArgumentException(what + " must not be null");
    }
    if (!(key instanceof EdECKey ed) || !ed.getParams().getName().equalsIgnoreCase(ALGORITHM)) {
      throw new IllegalArgumentException(
          what + " must be an " + ALGORITHM + " key, was " + key.getAlgorithm());
    }
  }

  private static RejectedInputException bad(ModelApproved approval, String problem) {
    return new RejectedInputException(
        RejectionReason.BAD_SIGNATURE, describe(approval) + " " + problem);
  }

  private static String describe(ModelApproved a) {
    return "approval of "
        + a.modelName()
        + " v"
        + a.version()
        + " (job "
        + a.jobId()
        + ", round "
        + a.round()
        + ")";
  }
}
