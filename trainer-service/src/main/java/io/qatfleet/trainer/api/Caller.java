package io.qatfleet.trainer.api;

import io.qatfleet.trainer.service.JobView.JobSummary;
import io.qatfleet.trainer.service.ModelOwners;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.json.JsonString;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.Optional;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * The authenticated caller of the job API, as far as ownership goes: the principal (or group) that
 * owns what it submits, read from the token's owner claim ({@code qat.auth.owner-claim}, {@code
 * sub} by default), and whether it is an {@link Roles#OPERATOR}.
 */
record Caller(String owner, boolean operator) {

  /**
   * The caller behind {@code identity}, or empty when its token carries no string in {@code
   * ownerClaim}.
   */
  static Optional<Caller> of(SecurityIdentity identity, String ownerClaim) {
    if (!(identity.getPrincipal() instanceof JsonWebToken jwt)) {
      return Optional.empty();
    }
    Object value = jwt.getClaim(ownerClaim);
    String owner =
        value instanceof String s ? s : value instanceof JsonString js ? js.getString() : null;
    if (owner == null || owner.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(new Caller(owner, identity.hasRole(Roles.OPERATOR)));
  }

  /**
   * The caller behind {@code identity}.
   *
   * @throws WebApplicationException a 403 saying so, when its token names no owner
   */
  static Caller require(SecurityIdentity identity, String ownerClaim) {
    return of(identity, ownerClaim)
        .orElseThrow(
            () ->
                new WebApplicationException(
                    JobResource.refused(
                        Response.Status.FORBIDDEN,
                        "the token carries no '" + ownerClaim + "' claim to name an owner by")));
  }

  /** Whether this caller may see what belongs to the owner of the model name {@code modelName}. */
  boolean maySeeModel(String modelName, ModelOwners owners) {
    return operator || owners.ownerOf(modelName).filter(owner::equals).isPresent();
  }

  /**
   * Whether this caller may see {@code job}: an operator sees every job; anyone else the jobs they
   * submitted, and the jobs the fleet started (retraining triggers, owner null) for a model name
   * they own.
   */
  boolean maySee(JobSummary job, ModelOwners owners) {
    if (operator) {
      return true;
    }
    if (job.owner() != null) {
      return job.owner().equals(owner);
    }
    return job.name() != null && maySeeModel(job.name(), owners);
  }
}
