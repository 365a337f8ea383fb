package io.qatfleet.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.qatfleet.cli.fleet.JobClient.JobApiException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the job client puts on the wire and how it reads refusals, against a tiny local HTTP server
 * (the JDK's) that records each request's method, path and {@code Authorization} header and answers
 * with the status the test sets.
 */
class JobClientTest {
  private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";

  private final List<String> seen = new CopyOnWriteArrayList<>();
  private volatile int status = 200;
  private volatile String body = "{}";
  private HttpServer server;
  private String url;

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/jobs",
        exchange -> {
          seen.add(
              exchange.getRequestMethod()
                  + " "
                  + exchange.getRequestURI().getPath()
                  + " "
                  + exchange.getRequestHeaders().getFirst("Authorization"));
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status, bytes.length);
          exchange.getResponseBody().write(bytes);
          exchange.close();
        });
    server.start();
    url = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  @Test
  void sendsBearerTokenOnEveryCall() {
    JobClient client = new JobClient(url, TOKEN);

    status = 202;
    body = "{\"jobId\": \"job-1\"}";
    client.submit("{\"name\": \"m\"}");
    status = 200;
    body = "[]";
    client.jobs();
    body = "{\"jobId\": \"job-1\"}";
    client.job("job-1");

    assertThat(seen)
        .containsExactly(
            "POST /jobs Bearer " + TOKEN,
            "GET /jobs Bearer " + TOKEN,
            "GET /jobs/job-1 Bearer " + TOKEN);
  }

  @Test
  void sendsNoAuthorizationWithoutToken() {
    body = "[]";
    new JobClient(url, null).jobs();

    assertThat(seen).containsExactly("GET /jobs null");
  }

  @Test
  void explainsMissingTokenOn401() {
    status = 401;
    body = "";

    assertThatThrownBy(() -> new JobClient(url, null).jobs())
        .isInstanceOf(JobApiException.class)
        .hasMessageContaining("HTTP 401")
        .hasMessageContaining("none was given (--token, QAT_TOKEN");
  }

  @Test
  void explainsRefusedTokenOn401() {
    status = 401;
    body = "";

    assertThatThrownBy(() -> new JobClient(url, TOKEN).jobs())
        .isInstanceOf(JobApiException.class)
        .hasMessageContaining("expired, or not signed by a key the trainer trusts");
  }

  @Test
  void passesTrainersReasonOn403() {
    status = 403;
    body = "{\"reason\": \"model name 'm' is registered to another owner\"}";

    assertThatThrownBy(() -> new JobClient(url, TOKEN).submit("{\"name\": \"m\"}"))
        .isInstanceOf(JobApiException.class)
        .hasMessage(
            "cannot submit the job: forbidden (HTTP 403): model name 'm' is registered to another"
                + " owner");
  }
}
