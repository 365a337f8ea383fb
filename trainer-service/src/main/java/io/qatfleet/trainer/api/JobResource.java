package io.qatfleet.trainer.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.json.Json;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.trainer.messaging.Channels;
import io.qatfleet.trainer.messaging.EventPublisher;
import io.qatfleet.trainer.service.JobView;
import io.qatfleet.trainer.service.JobView.JobSummary;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The job API. {@code POST /jobs} validates a {@link JobSpec} and publishes {@code JobSubmitted} on
 * {@code qat.jobs}; {@code GET /jobs} and {@code GET /jobs/{id}} answer from the {@link JobView},
 * which follows {@code qat.status} and {@code qat.deploy}.
 */
@Path("/jobs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "jobs", description = "Submit QAT jobs and follow them through the fleet")
public class JobResource {

  /** Body of a 400: every problem, each naming the field. */
  public record Violations(List<String> violations) {}

  /** Body of a 202. */
  public record Accepted(String jobId) {}

  private final EventPublisher publisher;
  private final JobView view;

  JobResource(EventPublisher publisher, JobView view) {
    this.publisher = publisher;
    this.view = view;
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(
      summary = "Submit a job",
      description =
          "Validates the job spec and publishes JobSubmitted on qat.jobs; the trainer then runs"
              + " the float baseline and the QAT rounds.")
  @RequestBody(
      required = true,
      content = @Content(schema = @Schema(implementation = JobSpec.class)))
  @APIResponse(
      responseCode = "202",
      description = "Accepted; follow it at /jobs/{jobId}",
      content = @Content(schema = @Schema(implementation = Accepted.class)))
  @APIResponse(
      responseCode = "400",
      description = "Malformed JSON or an invalid spec; every bad field is named",
      content = @Content(schema = @Schema(implementation = Violations.class)))
  public Response submit(String body) {
    JobSpec spec;
    try {
      spec = body == null || body.isBlank() ? null : Json.MAPPER.readValue(body, JobSpec.class);
    } catch (JsonMappingException e) {
      return badRequest(List.of(path(e) + ": " + e.getOriginalMessage()));
    } catch (JsonProcessingException e) {
      return badRequest(List.of("body: not valid JSON: " + e.getOriginalMessage()));
    }
    if (spec == null) {
      return badRequest(List.of("body: must be a job spec JSON object"));
    }
    List<String> violations = spec.violations();
    if (!violations.isEmpty()) {
      return badRequest(violations);
    }
    String jobId = UUID.randomUUID().toString();
    Instant now = Instant.now();
    publisher.publish(
        Channels.JOBS_OUT, new JobSubmitted(QatEvent.newEventId(), jobId, 0, null, now, spec));
    view.submitted(jobId, spec.name(), now);
    return Response.accepted(new Accepted(jobId)).location(URI.create("/jobs/" + jobId)).build();
  }

  @GET
  @Operation(summary = "Every job this instance knows of, most recently updated first")
  public List<JobSummary> list() {
    return view.all();
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "One job: stage, round, latest progress, metrics so far and history")
  @APIResponse(responseCode = "200", description = "The job")
  @APIResponse(responseCode = "404", description = "No such job")
  public Response get(@PathParam("id") String id) {
    return view.find(id)
        .map(job -> Response.ok(job).build())
        .orElseGet(() -> Response.status(Response.Status.NOT_FOUND).build());
  }

  private static Response badRequest(List<String> violations) {
    return Response.status(Response.Status.BAD_REQUEST)
        .type(MediaType.APPLICATION_JSON)
        .entity(new Violations(violations))
        .build();
  }

  private static String path(JsonMappingException e) {
    String path =
        e.getPath().stream()
            .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
            .collect(Collectors.joining("."))
            .replace(".[", "[");
    return path.isEmpty() ? "body" : path;
  }
}
