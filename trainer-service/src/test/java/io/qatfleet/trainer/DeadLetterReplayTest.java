package io.qatfleet.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.integrity.EventSeal;
import io.qatfleet.messaging.testing.EventTopics;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.qatfleet.messaging.topic.Topics;
import io.qatfleet.trainer.service.DeadLetterReplay;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The operators' replay of dead letters ({@code POST /dead-letters/{id}/replay}) against a real
 * broker: what reaches the work topic, sealed by the trainer, and what is refused so that no
 * forgery gets the fleet's seal. The letters are written to {@code qat.dlq} by the test, sealed
 * with the fleet's key as a service would (or not, as an outsider would); their source topic is
 * {@code qat.quantize}, which the trainer does not consume, so nothing processes the replays here.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
class DeadLetterReplayTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @ConfigProperty(name = "kafka.bootstrap.servers")
  String bootstrapServers;

  @ConfigProperty(name = "qat.event-key")
  String eventKey;

  private final EventCodec codec = new EventCodec();
  private EventTopics topics;

  @BeforeEach
  void connect() {
    topics = new EventTopics(bootstrapServers, eventKey);
  }

  @AfterEach
  void disconnect() {
    topics.close();
  }

  @Test
  void replaysTheOriginalKeyAndBytesToItsTopicSealedByTheTrainer() {
    String job = UUID.randomUUID().toString();
    byte[] original = ("original of " + job).getBytes(StandardCharsets.UTF_8);
    DeadLetter letter = letter(job, Topics.QUANTIZE, "POISON_PILL", original);
    topics.send(Topics.DLQ, job, letter);

    replay(TestTokens.operator("ops"), letter.eventId()).then().statusCode(202);

    List<ConsumerRecord<String, byte[]>> replayed = recordsKeyed(Topics.QUANTIZE, job);
    assertThat(replayed).hasSize(1);
    ConsumerRecord<String, byte[]> record = replayed.get(0);
    assertThat(record.value()).isEqualTo(original);
    EventSeal.fromBase64("fleet key", eventKey).verify(job, record.value(), record.headers());
    assertThat(
            new String(
                record.headers().lastHeader(DeadLetterReplay.REPLAYED_HEADER).value(),
                StandardCharsets.UTF_8))
        .isEqualTo(letter.eventId());
  }

  @Test
  void refusesALetterWhoseOriginalWasUnsealed() {
    assertRefused("UNSEALED_EVENT", Topics.QUANTIZE, true, "UNSEALED_EVENT");
  }

  @Test
  void refusesALetterWhoseOriginalHadABadSeal() {
    assertRefused("BAD_SEAL", Topics.QUANTIZE, true, "BAD_SEAL");
  }

  @Test
  void refusesALetterOfATopicOutsideTheWorkTopics() {
    assertRefused("UNKNOWN_MODEL", Topics.TRIGGERS, true, "only dead letters of the work topics");
  }

  @Test
  void refusesALetterNoFleetServiceWrote() {
    assertRefused("POISON_PILL", Topics.QUANTIZE, false, "not written by a fleet service");
  }

  @Test
  void forbidsSubmitters() {
    String job = UUID.randomUUID().toString();
    DeadLetter letter = letter(job, Topics.QUANTIZE, "POISON_PILL", new byte[] {1, 2});
    topics.send(Topics.DLQ, job, letter);

    replay(TestTokens.submitter("alice"), letter.eventId()).then().statusCode(403);

    assertThat(recordsKeyed(Topics.QUANTIZE, job)).isEmpty();
  }

  @Test
  void answersNotFoundForAnUnknownLetter() {
    replay(TestTokens.operator("ops"), UUID.randomUUID().toString()).then().statusCode(404);
  }

  @Test
  void rejectsAnIdThatIsNotAnEventId() {
    replay(TestTokens.operator("ops"), "not-a-uuid").then().statusCode(400);
  }

  /** Writes a letter (sealed or not) and asserts its replay is a 409 naming why, with no record. */
  private void assertRefused(String errorType, String sourceTopic, boolean sealed, String why) {
    String job = UUID.randomUUID().toString();
    DeadLetter letter = letter(job, sourceTopic, errorType, ("forged " + job).getBytes());
    ProducerRecord<String, byte[]> record =
        new ProducerRecord<>(Topics.DLQ, job, codec.encode(letter));
    if (sealed) {
      topics.send(record);
    } else {
      topics.sendAsIs(record);
    }

    String reason =
        replay(TestTokens.operator("ops"), letter.eventId())
            .then()
            .statusCode(409)
            .extract()
            .path("reason");

    assertThat(reason).contains(why);
    assertThat(recordsKeyed(sourceTopic, job)).isEmpty();
  }

  private static io.restassured.response.Response replay(String token, String eventId) {
    return TestTokens.as(token).post("/dead-letters/" + eventId + "/replay");
  }

  private static DeadLetter letter(
      String job, String sourceTopic, String errorType, byte[] original) {
    return new DeadLetter(
        QatEvent.newEventId(),
        job,
        1,
        null,
        Instant.now(),
        sourceTopic,
        0,
        7L,
        errorType,
        errorType + ": parked by the test",
        Base64.getEncoder().encodeToString(original),
        job);
  }

  /** The raw records of {@code topic} keyed {@code key}, headers included, read to its end. */
  private List<ConsumerRecord<String, byte[]>> recordsKeyed(String topic, String key) {
    List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic, WAIT)) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, WAIT);
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        assertThat(System.nanoTime()).as("read %s to its end in time", topic).isLessThan(deadline);
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          if (key.equals(r.key())) {
            found.add(r);
          }
        }
      }
    }
    return found;
  }
}
