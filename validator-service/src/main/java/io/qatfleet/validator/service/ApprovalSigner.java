package io.qatfleet.validator.service;

import io.qatfleet.messaging.approval.ApprovalKeys;
import io.qatfleet.messaging.approval.ApprovalSignature;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.service.FleetConfig;
import io.qatfleet.validator.ValidatorConfig;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * The validator's approval key pair: signs every {@link ModelApproved} before it is published
 * ({@link ApprovalSignature}) and hands out the public key ({@code GET /approval-key}). Both files
 * are read at start-up and must be one Ed25519 pair; without them the validator does not start,
 * since an approval it cannot sign is one no reader accepts.
 */
@Startup
@ApplicationScoped
public class ApprovalSigner {

  private static final Logger LOG = Logger.getLogger(ApprovalSigner.class);

  private final ApprovalSignature signature;

  public ApprovalSigner(ValidatorConfig config, FleetConfig fleetConfig) {
    Path privateKey =
        config.approvalPrivateKeyFile().orElseThrow(() -> missing("qat.approval.private-key-file"));
    Path publicKey =
        fleetConfig
            .approvalPublicKeyFile()
            .orElseThrow(() -> missing("qat.approval.public-key-file"));
    try {
      this.signature = ApprovalKeys.signer(privateKey, publicKey);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "cannot use the approval key pair "
              + privateKey
              + " / "
              + publicKey
              + ": "
              + e.getMessage(),
          e);
    }
    LOG.infof("approvals are signed with key %s", signature.keyId());
  }

  /** {@code approval} signed with the validator's key. */
  public ModelApproved sign(ModelApproved approval) {
    return signature.sign(approval);
  }

  public String keyId() {
    return signature.keyId();
  }

  /** The public key as X.509 PEM. */
  public String publicKeyPem() {
    return ApprovalKeys.pem(signature.publicKey());
  }

  private static IllegalStateException missing(String key) {
    String env = key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    return new IllegalStateException(
        key
            + " ("
            + env
            + ") is not set: the validator signs every approval and needs its Ed25519 key pair,"
            + " qat.approval.private-key-file (PKCS#8 PEM) and qat.approval.public-key-file"
            + " (X.509 PEM); e.g. openssl genpkey -algorithm ed25519 -out approval-private.pem &&"
            + " openssl pkey -in approval-private.pem -pubout -out approval-public.pem");
  }
}
