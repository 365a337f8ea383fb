package io.qatfleet.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The settings every service of the fleet has ({@code qat.*} in {@code application.properties} or
 * the environment, e.g. {@code QAT_STATE_DIR}); each service's own settings sit beside them under
 * the same prefix. Kafka client settings live under {@code kafka.*} (every client, see {@link
 * io.qatfleet.messaging.kafka.KafkaClientSettings}) and {@code mp.messaging.*} (the channels).
 */
@ConfigMapping(prefix = "qat")
public interface FleetConfig {

  /**
   * Directory for the service's durable state: the stage ledger (and the trainer's per-epoch
   * checkpoints). Must survive a restart (a persistent volume in Kubernetes), so that a redelivered
   * event is neither repeated nor lost. Each service's {@code application.properties} names its
   * default.
   */
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

  /**
   * The largest checkpoint this service puts on or reads from {@code qat.checkpoints}, in bytes. A
   * reference claiming more is refused before anything is allocated ({@code CHECKPOINT_TOO_LARGE});
   * a chunk header claiming more is skipped. The default, 256 MiB, holds a float checkpoint of the
   * largest model the trainer's budgets admit ({@code qat.budget.max-parameters}) several times.
   */
  @WithDefault("268435456")
  long checkpointMaxBytes();

  /**
   * How long the stage ledger keeps a job's entries after its last one was written ({@code
   * StageLedger}). Must exceed how long a record of a finished stage can still arrive: the work
   * topics' retention (7 days), the dead-letter topic's (30 days, for replays) and a job's
   * deadline.
   */
  @WithDefault("P35D")
  Duration ledgerRetention();

  /**
   * How long {@code qat.checkpoints} keeps a checkpoint ({@code retention.ms} of the topic when
   * this service creates it; in Kubernetes the {@code KafkaTopic} sets it). Must exceed the longest
   * a job waits between two of its stages (its deadline, at most {@code
   * qat.budget.max-deadline-minutes}, bounds that), since each stage reads the checkpoints of the
   * one before. The checkpoints an approval references are kept forever on {@code
   * qat.checkpoints.approved} regardless.
   */
  @WithDefault("P7D")
  Duration checkpointRetention();

  /** How long a publish waits for the broker's acknowledgement before the record fails. */
  @WithDefault("PT30S")
  Duration publishTimeout();

  /**
   * Datasets the service reads into memory when it starts ({@code QAT_DATASETS_PRELOAD}, comma
   * separated, {@code none} for none; {@link DatasetsAtStart}), so that its first job does not wait
   * for the files to be read and unpacked. Later jobs reuse them either way.
   */
  @WithDefault("fashion-mnist")
  List<String> datasetsPreload();

  /** Create the fleet's missing topics at start-up ({@code TopicAdmin}). */
  @WithDefault("true")
  boolean createTopics();

  /**
   * The fleet's event key, base64, at least 32 bytes ({@code QAT_EVENT_KEY}; in Kubernetes from the
   * {@code qat-event-key} Secret): every service seals the events it writes with it and acts only
   * on work events whose seal verifies ({@link io.qatfleet.messaging.integrity.EventSeal}). The
   * three services must share it; nothing else may hold it. Without it a service does not start.
   */
  String eventKey();

  /**
   * The validator's approval public key, X.509 PEM ({@code QAT_APPROVAL_PUBLIC_KEY_FILE}; in
   * Kubernetes a mounted ConfigMap or Secret). A service verifies every {@code ModelApproved} it
   * acts on with it ({@link ApprovalVerifier}); without it, it refuses them ({@code
   * NO_APPROVAL_KEY}). The validator signs with the private key of this pair.
   */
  @WithName("approval.public-key-file")
  Optional<Path> approvalPublicKeyFile();

  /** Retries of transient failures and the poison-pill limit ({@link RecordGuard}). */
  Retry retry();

  /** {@code qat.retry.*}. */
  interface Retry {

    /**
     * Tries of a record in one delivery when it fails transiently (broker down, timeouts,
     * checkpoint transport); when all fail, the record fails (not committed, not dead-lettered) and
     * the restarted service processes it again.
     */
    @WithDefault("5")
    int attempts();

    /** Wait after the first transient failure; doubled after each further one. */
    @WithDefault("PT1S")
    Duration initialBackoff();

    /** The longest wait between two tries. */
    @WithDefault("PT30S")
    Duration maxBackoff();

    /**
     * How many times processing a record may kill the service (its attempt count under {@code
     * <state-dir>/attempts/}) before the next delivery parks it on {@code qat.dlq} as {@code
     * POISON_PILL} without processing it.
     */
    @WithDefault("3")
    int poisonPillAttempts();
  }
}
