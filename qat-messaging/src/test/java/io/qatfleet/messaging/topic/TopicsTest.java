package io.qatfleet.messaging.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  void definesTheTwelveTopicsOnce() {
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
            "qat.checkpoints.approved",
            "qat.triggers",
            "qat.owners")
        .doesNotHaveDuplicates();
  }

  @Test
  void compactsOnlyTheModelRegistryAndTheApprovedCheckpoints() {
    assertThat(Topics.ALL)
        .filteredOn(s -> s.cleanupPolicy().equals("compact"))
        .extracting(TopicSpec::name)
        .containsExactly(Topics.MODELS, Topics.APPROVED_CHECKPOINTS);
  }

  @Test
  void keepsWorkingCheckpointsAWeekAndApprovedOnesForever() {
    assertThat(Topics.CHECKPOINTS_SPEC.configs())
        .containsEntry("retention.ms", Long.toString(Duration.ofDays(7).toMillis()))
        .containsEntry("cleanup.policy", "delete");
    assertThat(Topics.APPROVED_CHECKPOINTS_SPEC.configs())
        .containsEntry("retention.ms", "-1")
        .containsEntry("cleanup.policy", "compact");
    assertThat(Topics.APPROVED_CHECKPOINTS_SPEC.partitions())
        .isEqualTo(Topics.CHECKPOINTS_SPEC.partitions());
  }

  @Test
  void setsConfiguredCheckpointRetentionOnlyOnTheWorkingTopic() {
    List<TopicSpec> all = Topics.all(Duration.ofHours(36));
    assertThat(all)
        .extracting(TopicSpec::name)
        .isEqualTo(Topics.ALL.stream().map(TopicSpec::name).toList());
    assertThat(all)
        .filteredOn(s -> s.name().equals(Topics.CHECKPOINTS))
        .singleElement()
        .satisfies(s -> assertThat(s.retention()).isEqualTo(Duration.ofHours(36)));
    assertThat(all)
        .filteredOn(s -> !s.name().equals(Topics.CHECKPOINTS))
        .containsExactlyElementsOf(
            Topics.ALL.stream().filter(s -> !s.name().equals(Topics.CHECKPOINTS)).toList());
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
