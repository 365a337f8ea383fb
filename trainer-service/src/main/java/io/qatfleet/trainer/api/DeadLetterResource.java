package io.qatfleet.trainer.api;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.deadletter.DeadLetterTopic;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.trainer.api.JobResource.Refused;
import io.qatfleet.trainer.service.DeadLetterReplay;
import io.qatfleet.trainer.service.DeadLetterReplay.NotFoundException;
import io.qatfleet.trainer.service.DeadLetterReplay.RefusedException;
import io.qatfleet.trainer.service.DeadLetterReplay.Replayed;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Operators' access to the dead letters: {@code GET /dead-letters} lists the newest with their
 * reasons (the web console's panel; {@link DeadLetterTopic#newest}), {@code POST
 * /dead-letters/{eventId}/replay} writes a dead letter's original record back to its work topic,
 * sealed by this trainer ({@link DeadLetterReplay}, which refuses forgeries). Only the {@link
 * Roles#OPERATOR} role: dead letters hold every job's records, and replaying seals a record, which
 * no submitter may make the fleet do.
 */
@Path("/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
@Tag(
    name = "dead letters",
    description = "List and replay records parked on qat.dlq (operators only)")
@SecurityRequirement(name = JobResource.BEARER)
@APIResponse(responseCode = "401", description = "No valid bearer token")
@APIResponse(responseCode = "403", description = "The token's role is not operator")
public class DeadLetterResource {

  /** Most letters one {@code GET /dead-letters} answers. */
  static final int MAX_LIMIT = 500;

  static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private final DeadLetterReplay replay;
  private final KafkaClientSettings clients;
  private final EventCodec codec;

  DeadLetterResource(DeadLetterReplay replay, KafkaClientSettings clients, EventCodec codec) {
    this.replay = replay;
    this.clients = clients;
    this.codec = codec;
  }

  @GET
  @RolesAllowed(Roles.OPERATOR)
  @Operation(
      summary = "The newest dead letters, oldest first",
      description =
          "Reads qat.dlq to its end (read_committed) and answers the newest letters of the job and"
              + " reason asked for (any when absent), each with its source topic, offset, reason"
              + " and text; originalBase64 is left empty (replay reads the original).")
  @APIResponse(
      responseCode = "200",
      description = "The letters",
      content = @Content(schema = @Schema(implementation = DeadLetter[].class)))
  @APIResponse(
      responseCode = "400",
      description = "limit out of range",
      content = @Content(schema = @Schema(implementation = Refused.class)))
  @APIResponse(
      responseCode = "503",
      description = "qat.dlq could not be read in time",
      content = @Content(schema = @Schema(implementation = Refused.class)))
  public Response list(
      @QueryParam("job") String job,
      @QueryParam("reason") String reason,
      @QueryParam("limit") Integer limit) {
    int n = limit == null ? 100 : limit;
    if (n < 1 || n > MAX_LIMIT) {
      return JobResource.refused(
          Response.Status.BAD_REQUEST, "limit: must be 1-" + MAX_LIMIT + ", got " + limit);
    }
    try {
      List<DeadLetter> letters =
          DeadLetterTopic.newest(
              clients,
              "dlq-list",
              READ_TIMEOUT,
              codec,
              l ->
                  (job == null || job.equals(l.jobId()))
                      && (reason == null || reason.equalsIgnoreCase(l.errorType())),
              n);
      return Response.ok(letters).build();
    } catch (TimeoutException e) {
      return JobResource.refused(Response.Status.SERVICE_UNAVAILABLE, e.getMessage());
    }
  }

  @POST
  @Path("/{eventId}/replay")
  @RolesAllowed(Roles.OPERATOR)
  @Operation(
      summary = "Replay a dead letter",
      description =
          "Finds the dead letter on qat.dlq and writes its original key and bytes back to the work"
              + " topic it came from, sealed by the trainer. Refused for letters not written by a"
              + " fleet service, letters whose original was unsealed or badly sealed"
              + " (UNSEALED_EVENT, BAD_SEAL), and letters of other topics.")
  @APIResponse(
      responseCode = "202",
      description = "Written back; the stage processes it again",
      content = @Content(schema = @Schema(implementation = Replayed.class)))
  @APIResponse(responseCode = "400", description = "The id is not an event id (a UUID)")
  @APIResponse(
      responseCode = "404",
      description = "No dead letter with this id",
      content = @Content(schema = @Schema(implementation = Refused.class)))
  @APIResponse(
      responseCode = "409",
      description = "The dead letter may not be replayed; the reason says why",
      content = @Content(schema = @Schema(implementation = Refused.class)))
  @APIResponse(
      responseCode = "503",
      description = "qat.dlq could not be read, or the broker did not take the record, in time",
      content = @Content(schema = @Schema(implementation = Refused.class)))
  public Response replay(@PathParam("eventId") String eventId) throws InterruptedException {
    try {
      UUID.fromString(eventId);
    } catch (IllegalArgumentException e) {
      return JobResource.refused(
          Response.Status.BAD_REQUEST, "not an event id (a UUID): " + eventId);
    }
    try {
      return Response.accepted(replay.replay(eventId)).build();
    } catch (NotFoundException e) {
      return JobResource.refused(Response.Status.NOT_FOUND, e.getMessage());
    } catch (RefusedException e) {
      return JobResource.refused(Response.Status.CONFLICT, e.getMessage());
    } catch (TimeoutException e) {
      return JobResource.refused(Response.Status.SERVICE_UNAVAILABLE, e.getMessage());
    }
  }
}
