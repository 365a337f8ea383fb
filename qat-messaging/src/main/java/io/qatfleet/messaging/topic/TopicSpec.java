package io.qatfleet.messaging.topic;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;

/**
 * How one topic is created: its name, partition count, retention, cleanup policy and largest record
 * batch. The replication factor is left to the broker's default, so the same definitions work on a
 * single-node test broker and on a replicated cluster.
 *
 * @param retention how long records are kept; null keeps them forever ({@code retention.ms=-1})
 * @param cleanupPolicy {@link TopicConfig#CLEANUP_POLICY_DELETE} or {@link
 *     TopicConfig#CLEANUP_POLICY_COMPACT}
 * @param maxMessageBytes the topic's {@code max.message.bytes}
 */
public record TopicSpec(
    String name, int partitions, Duration retention, String cleanupPolicy, int maxMessageBytes) {

  public TopicSpec {
    if (name == null || !name.matches("[a-zA-Z0-9._-]{1,249}")) {
      throw new IllegalArgumentException("name must be a legal topic name, was '" + name + "'");
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, was " + partitions);
    }
    if (retention != null && (retention.isNegative() || retention.isZero())) {
      throw new IllegalArgumentException("retention must be positive or null, was " + retention);
    }
    if (!TopicConfig.CLEANUP_POLICY_DELETE.equals(cleanupPolicy)
        && !TopicConfig.CLEANUP_POLICY_COMPACT.equals(cleanupPolicy)) {
      throw new IllegalArgumentException(
          "cleanupPolicy must be delete or compact, was '" + cleanupPolicy + "'");
    }
    if (maxMessageBytes < 1024) {
      throw new IllegalArgumentException("maxMessageBytes must be >= 1024, was " + maxMessageBytes);
    }
  }

  /** {@code retention.ms} as Kafka wants it: milliseconds, or -1 for forever. */
  public long retentionMs() {
    return retention == null ? -1 : retention.toMillis();
  }

  /** The topic-level configs this spec sets. */
  public Map<String, String> configs() {
    return Map.of(
        TopicConfig.RETENTION_MS_CONFIG, Long.toString(retentionMs()),
        TopicConfig.CLEANUP_POLICY_CONFIG, cleanupPolicy,
        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxMessageBytes));
  }
}
