package io.qatfleet.quantizer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The quantizer's own settings ({@code qat.*} in {@code application.properties} or the environment,
 * e.g. {@code QAT_STATE_DIR}). Kafka clients are configured under {@code kafka.*} and {@code
 * mp.messaging.*}; datasets are found by {@code DatasetLoader.fromEnvironment()} ({@code
 * QAT_DATA_DIR}).
 */
@ConfigMapping(prefix = "qat")
public interface QuantizerConfig {

  /**
   * Directory of the stage ledger: which (job, round) pairs this service has quantized and
   * published. Must survive restarts, so that a redelivered event is not quantized twice.
   */
  @WithDefault("${user.home}/.cache/qat-fleet/quantizer")
  Path stateDir();

  /**
   * How long to wait for all chunks of an input checkpoint on {@code qat.checkpoints}. A checkpoint
   * that has not arrived by then is an error for the job (dead letter), not a retry loop.
   */
  @WithDefault("PT2M")
  Duration checkpointTimeout();

  /** Chunk size of the checkpoints this service writes to {@code qat.checkpoints}. */
  @WithDefault("524288")
  int checkpointChunkBytes();

  /** How long to wait for the broker to acknowledge a published event. */
  @WithDefault("PT30S")
  Duration publishTimeout();

  /** Create the fleet's topics at startup when they are missing ({@code TopicAdmin}). */
  @WithDefault("true")
  boolean createTopics();

  /** Code version recorded in the provenance of every checkpoint this service writes. */
  @WithDefault("quantizer-service/${quarkus.application.version:unknown}")
  String codeVersion();
}
