package io.qatfleet.validator.api;

import io.qatfleet.validator.service.ApprovalSigner;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Response;

/**
 * {@code GET /approval-key}: the public key the validator signs approvals with, X.509 PEM, and its
 * key id in the {@value #KEY_ID_HEADER} header, so that a deploy controller or {@code qat verify}
 * can fetch what to verify with. Fetching it over the network is only as trustworthy as the
 * network: a deploy controller should pin the key (or its id) it was given out of band.
 */
@Path("/approval-key")
public class ApprovalKeyResource {

  /** Response header carrying the key id. */
  public static final String KEY_ID_HEADER = "Qat-Key-Id";

  /** The media type of a PEM file. */
  public static final String PEM = "application/x-pem-file";

  private final ApprovalSigner signer;

  ApprovalKeyResource(ApprovalSigner signer) {
    this.signer = signer;
  }

  @GET
  @Produces(PEM)
  public Response publicKey() {
    return Response.ok(signer.publicKeyPem()).header(KEY_ID_HEADER, signer.keyId()).build();
  }
}
