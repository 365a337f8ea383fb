package io.qatfleet.messaging.checkpoint;

import io.qatfleet.core.checkpoint.EncodedCheckpoint;
import java.time.Duration;

/**
 * Content-addressed storage for checkpoint files, shared by the services: a producer puts the bytes
 * and sends the returned {@link CheckpointRef} in an event; a consumer gets the bytes back by that
 * reference. Every read is verified against the reference's SHA-256 and length, so a checkpoint is
 * either returned exactly as it was put or not at all.
 *
 * <p>Implementations: {@link KafkaCheckpointStore} (chunks on {@code qat.checkpoints}, the fleet's
 * default) and {@link LocalDirCheckpointStore} (files in a directory, for unit tests and
 * single-process runs). An object store can be added behind the same interface when models outgrow
 * Kafka.
 */
public interface CheckpointStore extends AutoCloseable {

  /**
   * Stores {@code bytes} and returns their reference. Idempotent: the same bytes always give the
   * same reference, and putting them again is harmless.
   *
   * @throws CheckpointTransportException if the bytes could not be stored
   */
  CheckpointRef put(byte[] bytes);

  /**
   * Stores a checkpoint as the codec encoded it, under the digest the codec computed: the services'
   * path, so that each side of a transfer hashes the bytes once (the codec here, the store's
   * verification on the reader's side). A digest that does not match the bytes is not caught here
   * but by every reader, which verifies each byte against the reference before returning it.
   *
   * @throws CheckpointTransportException if the bytes could not be stored
   */
  default CheckpointRef put(EncodedCheckpoint encoded) {
    return put(encoded.bytes());
  }

  /**
   * The verified bytes of {@code ref}, waiting at most {@code timeout} for them to arrive.
   *
   * @throws CheckpointTransportException if the checkpoint or a part of it did not arrive within
   *     the timeout, or arrived with the wrong size or digest
   */
  byte[] get(CheckpointRef ref, Duration timeout);

  /** Releases connections and threads; the stored checkpoints stay. */
  @Override
  default void close() {}
}
