package io.qatfleet.trainer.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.json.Json;
import io.qatfleet.messaging.event.JobCancelled;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.trainer.TrainerConfig;
import io.qatfleet.trainer.messaging.Channels;
import io.qatfleet.trainer.messaging.EventPublisher;
import io.qatfleet.trainer.service.Budgets;
import io.qatfleet.trainer.service.JobPlacement;
import io.qatfleet.trainer.service.JobRounds;
import io.qatfleet.trainer.service.JobRounds.Rounds;
import io.qatfleet.trainer.service.JobStops;
import io.qatfleet.trainer.service.JobView;
import io.qatfleet.trainer.service.JobView.JobSummary;
import io.qatfleet.trainer.service.ModelOwners;
import io.qatfleet.trainer.service.ModelOwners.OwnershipUnavailableException;
import io.qatfleet.trainer.service.SourceChecks;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Multi;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestStreamElementType;

/**
 * The job API, for callers with a bearer token (JWT, verified against {@code
 * mp.jwt.verify.publickey.location} and {@code mp.jwt.verify.issuer}): none is 401, a role other
 * than {@link Roles#SUBMITTER} or {@link Roles#OPERATOR} is 403. {@code POST /jobs} validates a
 * {@link JobSpec}, makes sure the spec's model name belongs to the caller ({@link ModelOwners}: the
 * first to submit a name owns it) and publishes {@code JobSubmitted} with the caller as its owner
 * on {@code qat.jobs}; {@code DELETE /jobs/{id}} publishes {@code JobCancelled} there for the job's
 * owner or an operator; {@code GET /jobs} and {@code GET /jobs/{id}} answer from the {@link
 * JobView}, showing a submitter only its own jobs (another's job id is 404, as if it did not
 * exist). For the web console, {@code GET /jobs/updates} streams the same summaries as Server-Sent
 * Events as they change, and {@code GET /jobs/{id}/rounds} answers a job's rounds ({@link
 * JobRounds}), under the same rules.
 */
@Path("/jobs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "jobs", description = "Submit QAT jobs and follow them through the fleet")
@SecurityScheme(
    securitySchemeName = JobResource.BEARER,
    type = SecuritySchemeType.HTTP,
    scheme = "bearer",
    bearerFormat = "JWT")
@SecurityRequirement(name = JobResource.BEARER)
@APIResponse(responseCode = "401", description = "No valid bearer token")
@APIResponse(responseCode = "403", description = "The token's role may not do this")
public class JobResource {

  static final String BEARER = "bearer";

  /** The ownership rule, as a 403 states it. */
  static final String OWNER_RULE =
      "a model name belongs to the owner (token claim '%s') of the first job submitted for it;"
          + " only that owner or an operator may submit jobs for it";

  /** Body of a 400: every problem, each naming the field. */
  public record Violations(List<String> violations) {}

  /** Reason of a cancellation whose caller gave none. */
  static final String DEFAULT_CANCEL_REASON = "cancelled through the job API";

  /** Body of a 202. */
  public record Accepted(String jobId) {}

  /** Body of a 403 or 503 of this API: why the request was refused. */
  public record Refused(String reason) {}

  /** Retry-After of a 429 for a busy data check: a cached source's check takes seconds. */
  private static final String RETRY_SOURCE_CHECK_SECONDS = "30";

  private final EventPublisher publisher;
  private final JobView view;
  private final JobRounds rounds;
  private final ModelOwners owners;
  private final SecurityIdentity identity;
  private final String ownerClaim;
  private final Budgets budgets;
  private final SourceChecks sourceChecks;
  private final JobStops stops;
  private final JobPlacement placement;

  JobResource(
      EventPublisher publisher,
      JobView view,
      JobRounds rounds,
      ModelOwners owners,
      SecurityIdentity identity,
      TrainerConfig config,
      Budgets budgets,
      SourceChecks sourceChecks,
      JobStops stops,
      JobPlacement placement) {
    this.placement = placement;
    this.sourceChecks = sourceChecks;
    this.rounds = rounds;
    this.budgets = budgets;
    this.stops = stops;
    this.publisher = publisher;
    this.view = view;
    this.owners = owners;
    this.identity = identity;
    this.ownerClaim = config.auth().ownerClaim();
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @RolesAllowed({Roles.SUBMITTER, Roles.OPERATOR})
  @Operation(
      summary = "Submit a job",
      description =
          "Validates the job spec, registers its model name to the caller if no one owns it yet,"
              + " and publishes JobSubmitted on qat.jobs; the trainer then runs the float baseline"
              + " and the QAT rounds.")
  @RequestBody(
      required = true,
      content = @Content(schema = @Schema(implementation = JobSpec.class)))
  @APIResponse(
      responseCode = "202",
      description = "Accepted; follow it at /jobs/{jobId}",
      content = @Content(schema = @Schema(implementation = Accepted.class)))
  @APIResponse(
      responseCode = "400",
      description =
          "Malformed JSON, an invalid spec, or one over the trainer's budget (qat.budget.*);"
              + " every bad field and every exceeded cap is named",
      content = @Content(schema = @Schema(implementation = Violations.class)))
  @APIResponse(
      responseCode = "403",
      description = "The model name belongs to another owner, or the token names no owner",
      content = @Content(schema = @Schema(implementation = Refused.class)))
  @APIResponse(
      responseCode = "429",
      description =
          "A dataset by reference while the caller's previous one, or as many as the trainer runs"
              + " at once (qat.budget.max-concurrent-source-checks), is still being checked; retry"
              + " after Retry-After seconds",
      content = @Content(schema = @Schema(implementation = Refused.class)))
  @APIResponse(
      responseCode = "503",
      description = "Model-name ownership could not be decided in time (qat.owners); try again",
      content = @Content(schema = @Schema(implementation = Refused.class)))
  public Response submit(String body) throws InterruptedException {
    Caller caller = caller();
    JobSpec spec;
    try {
      spec = body == null || body.isBlank() ? null : Json.MAPPER.readValue(body, JobSpec.class);
    } catch (JsonMappingException e) {
      String place = Json.fieldPath(e);
      return badRequest(
          List.of((place.isEmpty() ? "body" : place) + ": " + e.getOriginalMessage()));
    } catch (JsonProcessingException e) {
      return badRequest(List.of("body: not valid JSON: " + e.getOriginalMessage()));
    }
    if (spec == null) {
      return badRequest(List.of("body: must be a job spec JSON object"));
    }
    List<String> violations = new ArrayList<>(spec.violations());
    violations.addAll(budgets.violations(spec));
    if (violations.isEmpty()) {
      if (spec.data().source() == null) {
        violations.addAll(budgets.dataViolations(spec));
      } else {
        try {
          violations.addAll(sourceChecks.run(caller.owner(), () -> budgets.dataViolations(spec)));
        } catch (SourceChecks.Busy e) {
          return Response.fromResponse(refused(Response.Status.TOO_MANY_REQUESTS, e.getMessage()))
              .header("Retry-After", RETRY_SOURCE_CHECK_SECONDS)
              .build();
        }
      }
    }
    if (!violations.isEmpty()) {
      return badRequest(violations);
    }
    String jobId = placement.newJobId();
    String modelOwner;
    try {
      modelOwner = owners.claim(spec.name(), caller.owner(), jobId);
    } catch (OwnershipUnavailableException e) {
      return refused(Response.Status.SERVICE_UNAVAILABLE, e.getMessage());
    }
    if (!modelOwner.equals(caller.owner()) && !caller.operator()) {
      return refused(
          Response.Status.FORBIDDEN,
          "model name '"
              + spec.name()
              + "' is registered to another owner: "
              + String.format(OWNER_RULE, ownerClaim));
    }
    JobSubmitted job =
        new JobSubmitted(
            QatEvent.newEventId(), jobId, 0, null, Instant.now(), spec, caller.owner());
    publisher.publish(Channels.JOBS_OUT, job);
    view.apply(job);
    return Response.accepted(new Accepted(jobId)).location(URI.create("/jobs/" + jobId)).build();
  }

  @GET
  @RolesAllowed({Roles.SUBMITTER, Roles.OPERATOR})
  @Operation(
      summary =
          "The jobs this instance knows of that the caller may see (an operator: all), most"
              + " recently updated first")
  public List<JobSummary> list() {
    return list(caller());
  }

  private List<JobSummary> list(Caller caller) {
    return view.all().stream().filter(job -> caller.maySee(job, owners)).toList();
  }

  @GET
  @Path("/{id}")
  @RolesAllowed({Roles.SUBMITTER, Roles.OPERATOR})
  @Operation(summary = "One job: stage, round, latest progress, metrics so far and history")
  @APIResponse(responseCode = "200", description = "The job")
  @APIResponse(
      responseCode = "404",
      description = "No such job, or one the caller may not see (another submitter's)")
  public Response get(@PathParam("id") String id) {
    Caller caller = caller();
    return view.find(id)
        .filter(job -> caller.maySee(job, owners))
        .map(job -> Response.ok(job).build())
        .orElseGet(() -> Response.status(Response.Status.NOT_FOUND).build());
  }

  /** Changes a slow reader of {@code GET /jobs/updates} may fall behind by before it is cut off. */
  static final int UPDATES_BUFFER = 1024;

  @GET
  @Path("/updates")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  @RestStreamElementType(MediaType.APPLICATION_JSON)
  @RolesAllowed({Roles.SUBMITTER, Roles.OPERATOR})
  @Operation(
      summary = "The jobs the caller may see, then each of them again whenever it changes",
      description =
          "Server-Sent Events, one JSON job summary (as GET /jobs/{id}) per event: first every job"
              + " the caller may see, then a job's new summary on every change the job view reads"
              + " from qat.jobs, qat.status, qat.deploy and qat.train. A reader that falls more than"
              + " "
              + UPDATES_BUFFER
              + " changes behind is disconnected; reconnecting starts again with every job.")
  public Multi<JobSummary> updates() {
    Caller caller = caller();
    // Subscribed to the changes before the snapshot is read, so that no change falls between.
    Multi<JobSummary> live =
        view.changes()
            .filter(job -> caller.maySee(job, owners))
            .onOverflow()
            .buffer(UPDATES_BUFFER);
    return Multi.createBy()
        .merging()
        .streams(
            live, Multi.createFrom().deferred(() -> Multi.createFrom().iterable(list(caller))));
  }

  @GET
  @Path("/{id}/rounds")
  @RolesAllowed({Roles.SUBMITTER, Roles.OPERATOR})
  @Operation(
      summary =
          "One job's rounds: each round's events as on the wire (request, validation report with"
              + " thresholds and confusion matrices, send-back with its remedy, approval or"
              + " failure), the training-loss curve, and the dataset's class names")
  @APIResponse(
      responseCode = "200",
      description = "The job's rounds",
      content = @Content(schema = @Schema(implementation = Rounds.class)))
  @APIResponse(
      responseCode = "404",
      description = "No such job, or one the caller may not see (another submitter's)")
  public Response rounds(@PathParam("id") String id) {
    Caller caller = caller();
    if (view.find(id).filter(job -> caller.maySee(job, owners)).isEmpty()) {
      return Response.status(Response.Status.NOT_FOUND).build();
    }
    return Response.ok(
            rounds.find(id).orElseGet(() -> new Rounds(id, null, List.of(), Map.of(), List.of())))
        .build();
  }

  @DELETE
  @Path("/{id}")
  @RolesAllowed({Roles.SUBMITTER, Roles.OPERATOR})
  @Operation(
      summary = "Cancel a job",
      description =
          "Publishes JobCancelled on qat.jobs. A trainer running a round of the job stops it before"
              + " its next training step and ends the job with JobFailed (reason 'cancelled by"
              + " ...'); no trainer starts another round of it. The job's owner or an operator may"
              + " cancel it.")
  @APIResponse(
      responseCode = "202",
      description = "Cancellation published; the job ends with JobFailed",
      content = @Content(schema = @Schema(implementation = Accepted.class)))
  @APIResponse(
      responseCode = "404",
      description = "No such job, or one the caller may not see (another submitter's)")
  @APIResponse(
      responseCode = "409",
      description = "The job has already ended (approved or failed)",
      content = @Content(schema = @Schema(implementation = Refused.class)))
  public Response cancel(@PathParam("id") String id, @QueryParam("reason") String reason) {
    Caller caller = caller();
    Optional<JobSummary> job = view.find(id).filter(j -> caller.maySee(j, owners));
    if (job.isEmpty()) {
      return Response.status(Response.Status.NOT_FOUND).build();
    }
    String stage = job.get().stage();
    if ("approved".equals(stage) || "failed".equals(stage)) {
      return refused(Response.Status.CONFLICT, "job " + id + " has already ended: " + stage);
    }
    JobCancelled cancelled =
        new JobCancelled(
            QatEvent.newEventId(),
            id,
            0,
            null,
            Instant.now(),
            caller.owner(),
            reason == null || reason.isBlank() ? DEFAULT_CANCEL_REASON : reason);
    publisher.publish(Channels.JOBS_OUT, cancelled);
    view.apply(cancelled);
    stops.apply(cancelled);
    return Response.accepted(new Accepted(id)).location(URI.create("/jobs/" + id)).build();
  }

  private Caller caller() {
    return Caller.require(identity, ownerClaim);
  }

  static Response refused(Response.Status status, String reason) {
    return Response.status(status)
        .type(MediaType.APPLICATION_JSON)
        .entity(new Refused(reason))
        .build();
  }

  private static Response badRequest(List<String> violations) {
    return Response.status(Response.Status.BAD_REQUEST)
        .type(MediaType.APPLICATION_JSON)
        .entity(new Violations(violations))
        .build();
  }
}
