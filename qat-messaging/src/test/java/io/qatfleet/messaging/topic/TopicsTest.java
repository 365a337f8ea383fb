package io.qatfleet.messaging.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  void definesTheElevenTopicsOnce() {
    assertThat(Topics.ALL)
        .extracting(TopicSpec::name)
        .containsExactly(
            "qat.jobs",
            "qat.train",
            "qat.quantize",
            "qat.validate",
            "qat.deploy",
            "qat.models",
            "qat.status",
            "qat.dlq",
            "qat.checkpoints",
            "qat.triggers",
            "qat.owners")
        .doesNotHaveDuplicates();
  }

  @Test
  void compactsOnlyTheModelRegistry() {
    assertThat(Topics.ALL)
        .filteredOn(s -> s.cleanupPolicy().equals("compact"))
        .extracting(TopicSpec::name)
        .containsExactly(Topics.MODELS);
  }

  @Test
  void fitsLargestChunkWithHeadersInCheckpointTopic() {
    assertThat(Topics.CHECKPOINTS_SPEC.maxMessageBytes())
        .isGreaterThanOrEqualTo(KafkaCheckpointStore.MAX_CHUNK_BYTES + 1024);
    assertThat(KafkaCheckpointStore.DEFAULT_CHUNK_BYTES)
        .isLessThanOrEqualTo(Topics.CHECKPOINTS_SPEC.maxMessageBytes() / 4);
  }

  @Test
  void fitsBase64OfLargestEventInDeadLetterTopic() {
    long base64 = 4L * ((Topics.EVENT_MAX_MESSAGE_BYTES + 2) / 3);
    assertThat((long) Topics.DLQ_SPEC.maxMessageBytes()).isGreaterThan(base64 + 4096);
  }

  @Test
  void writesForeverAsMinusOneRetention() {
    assertThat(Topics.MODELS_SPEC.configs()).containsEntry("retention.ms", "-1");
    assertThat(Topics.OWNERS_SPEC.configs())
        .containsEntry("retention.ms", "-1")
        .containsEntry("cleanup.policy", "delete");
    assertThat(Topics.JOBS_SPEC.configs())
        .containsEntry("retention.ms", Long.toString(Duration.ofDays(7).toMillis()));
  }

  @Test
  void rejectsUnknownCleanupPolicy() {
    assertThatThrownBy(() -> new TopicSpec("qat.x", 1, null, "archive", 4096))
        .hasMessage("cleanupPolicy must be delete or compact, was 'archive'");
  }

  @Test
  void findsSpecByName() {
    assertThat(Topics.spec("qat.dlq")).contains(Topics.DLQ_SPEC);
    assertThat(Topics.spec("qat.nothing")).isEmpty();
  }
}
