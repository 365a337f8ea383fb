package io.qatfleet.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.core.json.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Talks to the trainer's job API: {@code POST /jobs}, {@code GET /jobs/{id}}, {@code GET /jobs},
 * {@code POST /dead-letters/{id}/replay}, every request with the caller's bearer token ({@code
 * Authorization: Bearer ...}). Failures are {@link JobApiException}s with one clear line: the fleet
 * is unreachable, the token is missing or refused, the request is forbidden (with the trainer's
 * reason), the spec is invalid (with the violations the trainer named), or the job is unknown.
 */
public final class JobClient {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final URI base;
  private final String token;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * @param token the bearer token to send, or null to send none (the trainer then answers 401)
   */
  public JobClient(String trainerUrl, String token) {
    this.base = URI.create(trainerUrl.endsWith("/") ? trainerUrl : trainerUrl + "/");
    this.token = token == null || token.isBlank() ? null : token.strip();
  }

  /** Submits a job spec (JSON text) and returns the new job's id. */
  public String submit(String specJson) {
    JsonNode body =
        send(
            HttpRequest.newBuilder(base.resolve("jobs"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(specJson)),
            "submit the job");
    JsonNode id = body.get("jobId");
    if (id == null || id.asText().isBlank()) {
      throw new JobApiException("the trainer accepted the job but returned no jobId: " + body);
    }
    return id.asText();
  }

  /** Cancels a job ({@code DELETE /jobs/{id}}); {@code reason} may be null. */
  public void cancel(String jobId, String reason) {
    URI uri = base.resolve("jobs/" + URLEncoder.encode(jobId, StandardCharsets.UTF_8));
    if (reason != null && !reason.isBlank()) {
      uri = URI.create(uri + "?reason=" + URLEncoder.encode(reason, StandardCharsets.UTF_8));
    }
    send(HttpRequest.newBuilder(uri).DELETE(), "cancel job " + jobId);
  }

  public JsonNode job(String jobId) {
    return send(HttpRequest.newBuilder(base.resolve("jobs/" + jobId)).GET(), "read job " + jobId);
  }

  public JsonNode jobs() {
    return send(HttpRequest.newBuilder(base.resolve("jobs")).GET(), "list jobs");
  }

  /**
   * Asks the trainer to replay the dead letter {@code eventId} ({@code POST
   * /dead-letters/{eventId}/replay}, operators only); returns where the record was written.
   */
  public JsonNode replayDeadLetter(String eventId) {
    return send(
        HttpRequest.newBuilder(base.resolve("dead-letters/" + eventId + "/replay"))
            .POST(HttpRequest.BodyPublishers.noBody()),
        "replay dead letter " + eventId);
  }

  private JsonNode send(HttpRequest.Builder request, String what) {
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new JobApiException(
          "cannot "
              + what
              + ": the trainer at "
              + base
              + " is unreachable (is the fleet running?)");
    } catch (IOException e) {
      throw new JobApiException("cannot " + what + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JobApiException("interrupted while trying to " + what);
    }
    JsonNode body = parse(response.body());
    int status = response.statusCode();
    if (status == 401) {
      throw new JobApiException(
          "cannot "
              + what
              + ": the trainer wants a valid token (HTTP 401): "
              + (token == null
                  ? "none was given (--token, QAT_TOKEN, or `qat token --save`)"
                  : "the one given is expired, or not signed by a key the trainer trusts"));
    }
    JsonNode reason = body.get("reason");
    if (status == 403) {
      throw new JobApiException(
          "cannot "
              + what
              + ": forbidden (HTTP 403): "
              + (reason != null
                  ? reason.asText()
                  : "the token's role may not do this (submitter or operator needed)"));
    }
    if (status == 404) {
      throw new JobApiException(
          "cannot " + what + ": " + (reason != null ? reason.asText() : "no such job"));
    }
    if (status == 409) {
      throw new JobApiException(
          "cannot "
              + what
              + " (HTTP 409): "
              + (reason != null ? reason.asText() : response.body()));
    }
    if (status == 400) {
      JsonNode v = body.get("violations");
      throw new JobApiException(
          v != null
              ? "invalid job spec: " + join(v)
              : "cannot " + what + ": " + (reason != null ? reason.asText() : response.body()));
    }
    if (status >= 300 && reason != null) {
      throw new JobApiException(
          "cannot " + what + ": refused (HTTP " + status + "): " + reason.asText());
    }
    if (status >= 300) {
      throw new JobApiException("cannot " + what + ": HTTP " + status + " " + response.body());
    }
    return body;
  }

  private static JsonNode parse(String text) {
    try {
      return text == null || text.isBlank()
          ? Json.MAPPER.createObjectNode()
          : Json.MAPPER.readTree(text);
    } catch (IOException e) {
      return Json.MAPPER.createObjectNode().put("raw", text);
    }
  }

  private static String join(JsonNode array) {
    StringBuilder out = new StringBuilder();
    array.forEach(n -> out.append(out.length() == 0 ? "" : "; ").append(n.asText()));
    return out.toString();
  }

  /** A job API call that failed, with a one-line message for the user. */
  public static final class JobApiException extends RuntimeException {
    public JobApiException(String message) {
      super(message);
    }
  }
}
