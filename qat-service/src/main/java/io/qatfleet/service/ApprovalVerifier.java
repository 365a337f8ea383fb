package io.qatfleet.service;

import io.qatfleet.messaging.approval.ApprovalKeys;
import io.qatfleet.messaging.approval.ApprovalSignature;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.ModelApproved;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Checks a {@link ModelApproved} before a service acts on it: its signature must verify with the
 * validator's public key ({@code qat.approval.public-key-file}, read once at start-up, so that a
 * missing or malformed key file stops the service rather than its first trigger). Refusals are
 * {@link RejectedInputException}s with {@link RejectionReason#UNSIGNED_APPROVAL}, {@link
 * RejectionReason#BAD_SIGNATURE}, or {@link RejectionReason#NO_APPROVAL_KEY} when no key is
 * configured, for the shared dead-letter path.
 */
@Startup
@ApplicationScoped
public class ApprovalVerifier {

  private static final Logger LOG = Logger.getLogger(ApprovalVerifier.class);

  private final Optional<ApprovalSignature> signature;

  public ApprovalVerifier(FleetConfig config) {
    this.signature = config.approvalPublicKeyFile().map(ApprovalVerifier::read);
    signature.ifPresentOrElse(
        s -> LOG.infof("approvals are verified with key %s", s.keyId()),
        () ->
            LOG.warn(
                "qat.approval.public-key-file (QAT_APPROVAL_PUBLIC_KEY_FILE) is not set: every"
                    + " approval will be refused as unverifiable"));
  }

  /** The id of the trusted key, if one is configured. */
  public Optional<String> keyId() {
    return signature.map(ApprovalSignature::keyId);
  }

  /**
   * Returns {@code approval} when its signature verifies with the trusted key.
   *
   * @throws RejectedInputException naming why it does not
   */
  public ModelApproved verify(ModelApproved approval) {
    return signature
        .orElseThrow(
            () ->
                new RejectedInputException(
                    RejectionReason.NO_APPROVAL_KEY,
                    "cannot verify the approval of "
                        + approval.modelName()
                        + " v"
                        + approval.version()
                        + ": qat.approval.public-key-file (QAT_APPROVAL_PUBLIC_KEY_FILE) is not"
                        + " set"))
        .verify(approval);
  }

  private static ApprovalSignature read(Path file) {
    try {
      return ApprovalKeys.verifier(file);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read qat.approval.public-key-file " + file + ": " + e.getMessage(), e);
    }
  }
}
