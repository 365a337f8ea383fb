package io.qatfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.qatfleet.messaging.broker.EmbeddedKafka;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.topic.TopicAdmin;
import io.qatfleet.messaging.topic.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code qat dlq list} against a real broker whose {@code qat.dlq} holds letters of two jobs, and
 * {@code qat dlq replay} against a fake trainer: what is printed, and what is asked of the trainer.
 */
class DlqCommandTest {

  private static final EventCodec CODEC = new EventCodec();
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

  static {
    KafkaAccess.quietClientLogs();
  }

  private static EmbeddedKafka broker;
  private static final List<DeadLetter> LETTERS = new ArrayList<>();

  private PrintStream originalOut;
  private PrintStream originalErr;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeAll
  static void parkLetters() throws Exception {
    broker = EmbeddedKafka.start();
    KafkaClientSettings clients = KafkaClientSettings.bootstrap(broker.bootstrapServers(), "test");
    try (Admin admin = clients.admin("topics")) {
      TopicAdmin.ensureTopics(admin);
    }
    LETTERS.add(letter("job-a", 0, Topics.QUANTIZE, "CHECKPOINT_NOT_FOUND", "no chunk\narrived"));
    LETTERS.add(letter("job-b", 1, Topics.TRAIN, "POISON_PILL", "started 3 times"));
    LETTERS.add(letter("job-a", 2, Topics.VALIDATE, "POISON_PILL", "started 4 times"));
    try (KafkaProducer<String, byte[]> producer =
        clients.producer(
            "letters",
            new StringSerializer(),
            new ByteArraySerializer(),
            KafkaClientSettings.durableProducer())) {
      for (DeadLetter l : LETTERS) {
        producer
            .send(new ProducerRecord<>(Topics.DLQ, l.jobId(), CODEC.encode(l)))
            .get(30, TimeUnit.SECONDS);
      }
      producer
          .send(new ProducerRecord<>(Topics.DLQ, "job-a", "not an event".getBytes()))
          .get(30, TimeUnit.SECONDS);
    }
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @BeforeEach
  void capture() {
    originalOut = System.out;
    originalErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setOut(originalOut);
    System.setErr(originalErr);
  }

  private static DeadLetter letter(
      String job, int minutes, String topic, String reason, String text) {
    return new DeadLetter(
        QatEvent.newEventId(),
        job,
        1,
        null,
        T0.plusSeconds(60L * minutes),
        topic,
        0,
        5L,
        reason,
        text,
        Base64.getEncoder().encodeToString("{}".getBytes()),
        job);
  }

  private List<String> outLines() {
    return out.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void listsEveryLetterOnOneLineOldestFirst() {
    assertThat(QatCli.run("dlq", "list", "--bootstrap", broker.bootstrapServers())).isZero();

    assertThat(outLines())
        .containsExactly(
            "2026-12-01T10:00:00Z  "
                + LETTERS.get(0).eventId()
                + "  job-a  qat.quantize  CHECKPOINT_NOT_FOUND  no chunk arrived",
            "2026-12-01T10:01:00Z  "
                + LETTERS.get(1).eventId()
                + "  job-b  qat.train  POISON_PILL  started 3 times",
            "2026-12-01T10:02:00Z  "
                + LETTERS.get(2).eventId()
                + "  job-a  qat.validate  POISON_PILL  started 4 times");
  }

  @Test
  void listsOnlyTheLettersOfAJobAndReason() {
    int code =
        QatCli.run(
            "dlq",
            "list",
            "--bootstrap",
            broker.bootstrapServers(),
            "--job",
            "job-a",
            "--reason",
            "poison_pill");

    assertThat(code).isZero();
    assertThat(outLines()).singleElement().asString().contains(LETTERS.get(2).eventId());
  }

  @Test
  void listsTheNewestLettersUpToTheLimit() {
    assertThat(QatCli.run("dlq", "list", "--bootstrap", broker.bootstrapServers(), "--limit", "2"))
        .isZero();

    assertThat(outLines()).hasSize(2);
    assertThat(outLines().get(1)).contains(LETTERS.get(2).eventId());
  }

  @Test
  void rejectsAnUnknownReasonAsUsageError() {
    int code =
        QatCli.run(
            "dlq", "list", "--bootstrap", broker.bootstrapServers(), "--reason", "NOT_A_REASON");

    assertThat(code).isEqualTo(2);
  }

  @Test
  void replaysThroughTheTrainerWithTheOperatorsToken() throws Exception {
    List<String> asked = new ArrayList<>();
    HttpServer trainer =
        fakeTrainer(
            asked, 202, "{\"eventId\":\"e\",\"topic\":\"qat.train\",\"partition\":2,\"offset\":9}");
    try {
      String id = LETTERS.get(1).eventId();
      int code = QatCli.run("dlq", "replay", id, "--trainer", url(trainer), "--token", "op-token");

      assertThat(code).isZero();
      assertThat(asked).containsExactly("POST /dead-letters/" + id + "/replay Bearer op-token");
      assertThat(outLines()).containsExactly("replayed " + id + " to qat.train-2@9");
    } finally {
      trainer.stop(0);
    }
  }

  @Test
  void reportsWhyTheTrainerRefusedAReplay() throws Exception {
    HttpServer trainer =
        fakeTrainer(new ArrayList<>(), 409, "{\"reason\":\"dead letter x is UNSEALED_EVENT\"}");
    try {
      int code =
          QatCli.run(
              "dlq",
              "replay",
              LETTERS.get(0).eventId(),
              "--trainer",
              url(trainer),
              "--token",
              "op-token");

      assertThat(code).isEqualTo(1);
      assertThat(err.toString(StandardCharsets.UTF_8).lines().toList())
          .singleElement()
          .asString()
          .contains("HTTP 409", "UNSEALED_EVENT");
    } finally {
      trainer.stop(0);
    }
  }

  private static HttpServer fakeTrainer(List<String> asked, int status, String body)
      throws Exception {
    HttpServer trainer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    trainer.createContext(
        "/dead-letters",
        exchange -> {
          asked.add(
              exchange.getRequestMethod()
                  + " "
                  + exchange.getRequestURI().getPath()
                  + " "
                  + exchange.getRequestHeaders().getFirst("Authorization"));
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(status, bytes.length);
          exchange.getResponseBody().write(bytes);
          exchange.close();
        });
    trainer.start();
    return trainer;
  }

  private static String url(HttpServer server) {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }
}
