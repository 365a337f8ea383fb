package io.qatfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.qatfleet.cli.fleet.LocalAuth;
import io.qatfleet.core.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code qat token} prints a token with the role and subject asked for; {@code --save} makes it the
 * one {@code qat list} sends by default, and {@code --token} overrides it. The local key directory
 * is a temporary one ({@code qat.auth.dir}); a fake trainer records the {@code Authorization}
 * headers it receives.
 */
class TokenCommandTest {
  @TempDir Path dir;

  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private String previousAuthDir;
  private PrintStream originalOut;
  private HttpServer trainer;
  private String trainerUrl;

  @BeforeEach
  void useTemporaryKeysAndFakeTrainer() throws IOException {
    previousAuthDir = System.getProperty("qat.auth.dir");
    System.setProperty("qat.auth.dir", dir.toString());
    originalOut = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    trainer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    trainer.createContext(
        "/jobs",
        exchange -> {
          authorizations.add(
              String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
          byte[] body = "[]".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    trainer.start();
    trainerUrl = "http://127.0.0.1:" + trainer.getAddress().getPort();
  }

  @AfterEach
  void restore() {
    trainer.stop(0);
    System.setOut(originalOut);
    if (previousAuthDir == null) {
      System.clearProperty("qat.auth.dir");
    } else {
      System.setProperty("qat.auth.dir", previousAuthDir);
    }
  }

  private String printed() {
    return out.toString(StandardCharsets.UTF_8).strip();
  }

  private static JsonNode claims(String token) throws IOException {
    return Json.MAPPER.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
  }

  @Test
  void printsTokenOfRoleAndSubject() throws IOException {
    assertThat(QatCli.run("token", "--role", "operator", "--subject", "ci-bot")).isZero();

    JsonNode claims = claims(printed());
    assertThat(claims.get("sub").asText()).isEqualTo("ci-bot");
    assertThat(claims.get("groups").toString()).isEqualTo("[\"operator\"]");
    assertThat(claims.get("iss").asText()).isEqualTo(LocalAuth.ISSUER);
    assertThat(dir.resolve("publicKey.pem")).isNotEmptyFile();
    assertThat(new LocalAuth(dir).savedToken()).isEmpty();
  }

  @Test
  void defaultsToSubmitterForLocalUser() throws IOException {
    assertThat(QatCli.run("token")).isZero();

    JsonNode claims = claims(printed());
    assertThat(claims.get("sub").asText()).isEqualTo(LocalAuth.localUser());
    assertThat(claims.get("groups").toString()).isEqualTo("[\"submitter\"]");
  }

  @Test
  void rejectsUnknownRoleAsUsageError() {
    assertThat(QatCli.run("token", "--role", "admin")).isEqualTo(2);
  }

  @Test
  void listSendsSavedTokenByDefault() {
    assertThat(QatCli.run("token", "--save")).isZero();
    String token = printed();

    assertThat(QatCli.run("list", "--trainer", trainerUrl)).isZero();

    assertThat(authorizations).containsExactly("Bearer " + token);
  }

  @Test
  void sendsTokenOptionOverSavedToken() {
    assertThat(QatCli.run("token", "--save")).isZero();

    assertThat(QatCli.run("list", "--trainer", trainerUrl, "--token", "given.token.x")).isZero();

    assertThat(authorizations).containsExactly("Bearer given.token.x");
  }
}
