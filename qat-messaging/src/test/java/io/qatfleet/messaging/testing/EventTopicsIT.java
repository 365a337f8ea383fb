package io.qatfleet.messaging.testing;

import static io.qatfleet.messaging.testing.EventTopics.keyed;
import static io.qatfleet.messaging.testing.EventTopics.ofJob;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.integrity.EventSeal;
import io.qatfleet.messaging.testing.EventTopics.Received;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaBrokerExtension.class)
class EventTopicsIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private String topic;
  private EventTopics topics;

  @BeforeEach
  void createTopic() {
    topic = "event-topics-" + UUID.randomUUID();
    try (KafkaCompanion companion = new KafkaCompanion(KafkaBrokerExtension.bootstrapServers())) {
      companion.topics().createAndWait(topic, 3);
    }
    topics = new EventTopics(KafkaBrokerExtension.bootstrapServers(), EventSeal.generateKey());
  }

  @AfterEach
  void disconnect() {
    topics.close();
  }

  @Test
  void awaitsEventsWrittenBeforeTheCall() {
    topics.send(topic, status("job-a", 1));
    topics.send(topic, status("job-b", 1));
    topics.send(topic, status("job-a", 2));

    assertThat(topics.await(topic, StatusUpdate.class, ofJob("job-a"), 2, WAIT))
        .extracting(StatusUpdate::epoch)
        .containsExactly(1, 2);
  }

  @Test
  void failsAwaitNamingWhatItFound() {
    topics.send(topic, status("job-a", 1));

    assertThatThrownBy(
            () -> topics.await(topic, StatusUpdate.class, ofJob("job-a"), 2, Duration.ofSeconds(2)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("expected at least 2 matching records on " + topic)
        .hasMessageContaining("job-a=StatusUpdate");
  }

  @Test
  void readsTopicToItsEndKeepingRecordsThatAreNotEvents() {
    byte[] garbage = "{\"type\": ".getBytes(StandardCharsets.UTF_8);
    topics.send(topic, "job-a", garbage);
    topics.send(topic, status("job-a", 1));
    topics.send(topic, status("job-b", 1));

    assertThat(topics.readToEnd(topic, keyed("job-a"))).hasSize(2);
    assertThat(topics.readToEnd(topic, StatusUpdate.class, e -> true))
        .extracting(StatusUpdate::jobId)
        .containsExactlyInAnyOrder("job-a", "job-b");
    Received notAnEvent =
        topics.readToEnd(topic, keyed("job-a")).stream()
            .filter(r -> !r.is(QatEvent.class, e -> true))
            .findFirst()
            .orElseThrow();
    assertThatThrownBy(notAnEvent::event).hasMessageContaining("is not an event");
  }

  @Test
  void readsEmptyTopicAsNoRecords() {
    assertThat(topics.readToEnd(topic, r -> true)).isEmpty();
  }

  @Test
  void readsForWindowFromTheBeginning() {
    topics.send(topic, status("job-a", 1));

    assertThat(topics.readFor(topic, StatusUpdate.class, ofJob("job-a"), Duration.ofMillis(1500)))
        .hasSize(1);
  }

  @Test
  void waitsUntilValueIsDone() {
    AtomicInteger reads = new AtomicInteger();

    EventTopics.waitUntil(reads::incrementAndGet, n -> n >= 3, Duration.ofMillis(10), WAIT);

    assertThat(reads).hasValue(3);
  }

  @Test
  void failsWaitNamingLastValue() {
    assertThatThrownBy(
            () ->
                EventTopics.waitUntil(
                    () -> 7, n -> n > 7, Duration.ofMillis(10), Duration.ofMillis(200)))
        .isInstanceOf(AssertionError.class)
        .hasMessage("still 7 after PT0.2S");
  }

  private static StatusUpdate status(String job, int epoch) {
    return new StatusUpdate(
        QatEvent.newEventId(), job, 1, null, Instant.now(), "qat", 0.5, "epoch", epoch, 0.4, 10.0);
  }
}
