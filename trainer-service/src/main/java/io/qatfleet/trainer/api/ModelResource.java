package io.qatfleet.trainer.api;

import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.service.ApprovalVerifier;
import io.qatfleet.trainer.TrainerConfig;
import io.qatfleet.trainer.service.JobView;
import io.qatfleet.trainer.service.JobView.JobSummary;
import io.qatfleet.trainer.service.ModelOwners;
import io.qatfleet.trainer.service.ModelRegistry;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The model registry as the web console shows it: {@code GET /models} lists, per model name, its
 * owner, the latest approved version on {@code qat.models} ({@link ModelRegistry}) with its metrics
 * and whether its signature verifies, and every approval this instance has seen on {@code
 * qat.deploy} ({@link JobView}), verified or refused. A submitter sees the models it owns, an
 * operator all.
 */
@Path("/models")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "models", description = "The model registry: versions and approvals")
@SecurityRequirement(name = JobResource.BEARER)
public class ModelResource {

  /** One approval of a model: the version, the job and round it came from, and its standing. */
  public record Version(
      int version, String jobId, Instant approved, boolean verified, String problem) {}

  /**
   * One model name.
   *
   * @param latest the registry's entry (the latest approved version), null when only approvals on
   *     {@code qat.deploy} name the model
   * @param latestVerified whether the registry entry's signature verifies (else {@code
   *     latestProblem} says why)
   * @param versions the approvals seen for it, newest first
   */
  public record Model(
      String name,
      String owner,
      Integer latest,
      String latestJobId,
      Instant latestApproved,
      Map<String, Double> latestMetrics,
      boolean latestVerified,
      String latestProblem,
      List<Version> versions) {}

  private final ModelRegistry registry;
  private final JobView view;
  private final ModelOwners owners;
  private final ApprovalVerifier verifier;
  private final SecurityIdentity identity;
  private final String ownerClaim;

  ModelResource(
      ModelRegistry registry,
      JobView view,
      ModelOwners owners,
      ApprovalVerifier verifier,
      SecurityIdentity identity,
      TrainerConfig config) {
    this.registry = registry;
    this.view = view;
    this.owners = owners;
    this.verifier = verifier;
    this.identity = identity;
    this.ownerClaim = config.auth().ownerClaim();
  }

  @GET
  @RolesAllowed({Roles.SUBMITTER, Roles.OPERATOR})
  @Operation(summary = "The models the caller may see (an operator: all), by name")
  public List<Model> list() {
    Caller caller = Caller.require(identity, ownerClaim);
    Map<String, List<Version>> versions = new TreeMap<>();
    for (JobSummary job : view.all()) {
      JobView.Approval a = job.approval();
      if (a != null && caller.maySeeModel(a.modelName(), owners)) {
        versions
            .computeIfAbsent(a.modelName(), n -> new ArrayList<>())
            .add(new Version(a.version(), job.jobId(), job.updated(), a.verified(), a.problem()));
      }
    }
    Map<String, ModelApproved> latest = new TreeMap<>();
    registry.all().stream()
        .filter(m -> caller.maySeeModel(m.modelName(), owners))
        .forEach(m -> latest.put(m.modelName(), m));
    TreeSet<String> names = new TreeSet<>(versions.keySet());
    names.addAll(latest.keySet());
    List<Model> out = new ArrayList<>();
    for (String name : names) {
      List<Version> seen = versions.getOrDefault(name, List.of());
      List<Version> sorted =
          seen.stream().sorted(Comparator.comparingInt(Version::version).reversed()).toList();
      out.add(model(name, latest.get(name), sorted));
    }
    return out;
  }

  private Model model(String name, ModelApproved entry, List<Version> versions) {
    String owner = owners.ownerOf(name).orElse(null);
    if (entry == null) {
      return new Model(name, owner, null, null, null, Map.of(), false, null, versions);
    }
    String problem = null;
    try {
      verifier.verify(entry);
    } catch (RejectedInputException e) {
      problem = e.reason() + ": " + e.getMessage();
    }
    return new Model(
        name,
        owner,
        entry.version(),
        entry.jobId(),
        entry.timestamp(),
        entry.metrics(),
        problem == null,
        problem,
        versions);
  }
}
