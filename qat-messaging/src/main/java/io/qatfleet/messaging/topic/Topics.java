package io.qatfleet.messaging.topic;

import static org.apache.kafka.common.config.TopicConfig.CLEANUP_POLICY_COMPACT;
import static org.apache.kafka.common.config.TopicConfig.CLEANUP_POLICY_DELETE;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every topic of the fleet, named and sized in one place. Event topics are keyed by job id so that
 * a job's events stay in order; {@link #MODELS} is keyed by model name and compacted to the latest
 * approved version; {@link #CHECKPOINTS} holds checkpoint chunks keyed by SHA-256 for {@link
 * #DEFAULT_CHECKPOINT_RETENTION}, and {@link #APPROVED_CHECKPOINTS} keeps the chunks of approved
 * models' checkpoints for good.
 *
 * <p>Names are compile-time constants so that they can appear in annotations and configuration; the
 * {@code *_SPEC} constants say how {@link TopicAdmin} creates each topic.
 */
public final class Topics {

  /**
   * Job submissions ({@code JobSubmitted}) and cancellations ({@code JobCancelled}), keyed by job
   * id.
   */
  public static final String JOBS = "qat.jobs";

  /** Training requests for the trainer: first rounds and retrains. */
  public static final String TRAIN = "qat.train";

  /** Float checkpoints ready for the quantizer. */
  public static final String QUANTIZE = "qat.quantize";

  /** Quantized models ready for the validator. */
  public static final String VALIDATE = "qat.validate";

  /** Approved models and job outcomes, for deployment tooling. */
  public static final String DEPLOY = "qat.deploy";

  /** Model registry: latest approved version per model name; compacted, keyed by model name. */
  public static final String MODELS = "qat.models";

  /** Progress of every stage, for the CLI, dashboard and job view. */
  public static final String STATUS = "qat.status";

  /** Records no consumer could process, as {@code DeadLetter}s with the original bytes. */
  public static final String DLQ = "qat.dlq";

  /** Checkpoint chunks, keyed by the checkpoint's SHA-256; deleted after their retention. */
  public static final String CHECKPOINTS = "qat.checkpoints";

  /**
   * Chunks of the checkpoints an approval references (integer, calibrated float, ONNX), copied by
   * the validator in its decision's transaction; compacted and kept forever, keyed {@code
   * <sha256>/<chunk index>}.
   */
  public static final String APPROVED_CHECKPOINTS = "qat.checkpoints.approved";

  /** Retraining triggers: data updated, drift detected, manual; keyed by model name. */
  public static final String TRIGGERS = "qat.triggers";

  /**
   * Model-name ownership ({@code ModelClaimed}), keyed by model name, written only by the trainer's
   * job API: the first claim of a name wins.
   */
  public static final String OWNERS = "qat.owners";

  /** {@code max.message.bytes} of the event topics: events are small JSON documents. */
  public static final int EVENT_MAX_MESSAGE_BYTES = 1024 * 1024;

  /**
   * {@code max.message.bytes} of {@link #CHECKPOINTS}: room for a chunk of up to 2 MiB plus
   * headers; the default chunk is 512 KiB.
   */
  public static final int CHECKPOINT_MAX_MESSAGE_BYTES = 2 * 1024 * 1024 + 64 * 1024;

  /**
   * {@code max.message.bytes} of {@link #DLQ}: a dead letter carries its record base64-encoded (4/3
   * of the size) plus a few hundred bytes, so an event of up to {@link #EVENT_MAX_MESSAGE_BYTES}
   * still fits. A producer writing such a dead letter needs {@code max.request.size} raised too.
   */
  public static final int DLQ_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

  /** Partitions of the work topics: up to this many instances of a service share the load. */
  public static final int WORK_PARTITIONS = 3;

  private static final Duration WEEK = Duration.ofDays(7);

  public static final TopicSpec JOBS_SPEC =
      new TopicSpec(JOBS, WORK_PARTITIONS, WEEK, CLEANUP_POLICY_DELETE, EVENT_MAX_MESSAGE_BYTES);
  public static final TopicSpec TRAIN_SPEC =
      new TopicSpec(TRAIN, WORK_PARTITIONS, WEEK, CLEANUP_POLICY_DELETE, EVENT_MAX_MESSAGE_BYTES);
  public static final TopicSpec QUANTIZE_SPEC =
      new TopicSpec(
          QUANTIZE, WORK_PARTITIONS, WEEK, CLEANUP_POLICY_DELETE, EVENT_MAX_MESSAGE_BYTES);
  public static final TopicSpec VALIDATE_SPEC =
      new TopicSpec(
          VALIDATE, WORK_PARTITIONS, WEEK, CLEANUP_POLICY_DELETE, EVENT_MAX_MESSAGE_BYTES);
  public static final TopicSpec DEPLOY_SPEC =
      new TopicSpec(DEPLOY, 1, Duration.ofDays(30), CLEANUP_POLICY_DELETE, EVENT_MAX_MESSAGE_BYTES);

  /** Compacted and kept forever: a retraining trigger months later still finds its model. */
  public static final TopicSpec MODELS_SPEC =
      new TopicSpec(MODELS, 1, null, CLEANUP_POLICY_COMPACT, EVENT_MAX_MESSAGE_BYTES);

  public static final TopicSpec STATUS_SPEC =
      new TopicSpec(
          STATUS,
          WORK_PARTITIONS,
          Duration.ofDays(1),
          CLEANUP_POLICY_DELETE,
          EVENT_MAX_MESSAGE_BYTES);

  /** Kept a month: long enough for a person to look at what went wrong and replay it. */
  public static final TopicSpec DLQ_SPEC =
      new TopicSpec(DLQ, 1, Duration.ofDays(30), CLEANUP_POLICY_DELETE, DLQ_MAX_MESSAGE_BYTES);

  /**
   * How long {@link #CHECKPOINTS} keeps a checkpoint unless configured otherwise ({@code
   * qat.checkpoint-retention}): far longer than a job waits between two of its stages, since a
   * stage reads the checkpoints of the stage before it. Approved models' checkpoints outlive it on
   * {@link #APPROVED_CHECKPOINTS}.
   */
  public static final Duration DEFAULT_CHECKPOINT_RETENTION = WEEK;

  /**
   * The working copy of every checkpoint, deleted after {@link #DEFAULT_CHECKPOINT_RETENTION} (see
   * {@link #checkpointsSpec}). Not compacted: all chunks of a checkpoint share its key. Its
   * partition count must not change once it holds data: readers find a checkpoint's chunks in the
   * partition its key hashes to.
   */
  public static final TopicSpec CHECKPOINTS_SPEC = checkpointsSpec(DEFAULT_CHECKPOINT_RETENTION);

  /**
   * Compacted and kept forever: the registry refers to approved checkpoints by digest, and {@code
   * qat pull} or a retraining trigger may read them years later. Each chunk has its own key, so
   * compaction keeps exactly one copy of every chunk. Same partitioning rule as {@link
   * #CHECKPOINTS}: never change its partition count. It grows by the files of each approval; when
   * that is too much, an object store behind {@code CheckpointStore} replaces both topics.
   */
  public static final TopicSpec APPROVED_CHECKPOINTS_SPEC =
      new TopicSpec(
          APPROVED_CHECKPOINTS,
          WORK_PARTITIONS,
          null,
          CLEANUP_POLICY_COMPACT,
          CHECKPOINT_MAX_MESSAGE_BYTES);

  public static final TopicSpec TRIGGERS_SPEC =
      new TopicSpec(TRIGGERS, 1, WEEK, CLEANUP_POLICY_DELETE, EVENT_MAX_MESSAGE_BYTES);

  /**
   * Kept forever and never compacted: the first claim of a name must stay first, and compaction
   * keeps the last record of a key. One partition, so that every reader sees the claims in the same
   * order. It grows by one record per new model name (plus the rare losing claim of a race).
   */
  public static final TopicSpec OWNERS_SPEC =
      new TopicSpec(OWNERS, 1, null, CLEANUP_POLICY_DELETE, EVENT_MAX_MESSAGE_BYTES);

  /** The topics that carry events (every topic but the two of checkpoint chunks). */
  public static final List<String> EVENT_TOPICS =
      List.of(JOBS, TRAIN, QUANTIZE, VALIDATE, DEPLOY, MODELS, STATUS, DLQ, TRIGGERS, OWNERS);

  /** All topics, in the order of the loop. */
  public static final List<TopicSpec> ALL =
      List.of(
          JOBS_SPEC,
          TRAIN_SPEC,
          QUANTIZE_SPEC,
          VALIDATE_SPEC,
          DEPLOY_SPEC,
          MODELS_SPEC,
          STATUS_SPEC,
          DLQ_SPEC,
          CHECKPOINTS_SPEC,
          APPROVED_CHECKPOINTS_SPEC,
          TRIGGERS_SPEC,
          OWNERS_SPEC);

  private Topics() {}

  /** {@link #CHECKPOINTS_SPEC} with another retention. */
  public static TopicSpec checkpointsSpec(Duration retention) {
    return new TopicSpec(
        CHECKPOINTS,
        WORK_PARTITIONS,
        retention,
        CLEANUP_POLICY_DELETE,
        CHECKPOINT_MAX_MESSAGE_BYTES);
  }

  /** {@link #ALL}, with {@link #CHECKPOINTS} kept for {@code checkpointRetention}. */
  public static List<TopicSpec> all(Duration checkpointRetention) {
    return ALL.stream()
        .map(s -> s.name().equals(CHECKPOINTS) ? checkpointsSpec(checkpointRetention) : s)
        .toList();
  }

  /** The spec of the topic called {@code name}. */
  public static Optional<TopicSpec> spec(String name) {
    return ALL.stream().filter(s -> s.name().equals(name)).findFirst();
  }
}
