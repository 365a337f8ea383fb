package io.qatfleet.messaging.checkpoint;

import io.qatfleet.core.checkpoint.EncodedCheckpoint;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.topic.Topics;
import java.time.Duration;
import java.util.Optional;

/**
 * The fleet's checkpoints on two topics: every checkpoint on {@code qat.checkpoints}, deleted after
 * its retention ({@code qat.checkpoint-retention}), and the checkpoints of approved models on the
 * compacted {@code qat.checkpoints.approved}, kept forever, where the validator copies them in the
 * transaction that approves them. Puts go to the first; reads look in both, so that whatever an
 * approval references (the integer and calibrated checkpoints and the ONNX model, read by {@code
 * qat pull} and by a retraining trigger's job) stays readable after its working copy expired.
 *
 * <p>A read looks first where the checkpoint was last found: on {@code qat.checkpoints} (a stage's
 * input, written moments ago) without waiting for a chunk 0 that is not there, then on the approved
 * topic, and if neither holds it, waits on {@code qat.checkpoints} for it to arrive (a put returns
 * before its reference is sent, so normally it has). A checkpoint read once from the approved topic
 * is read from there directly afterwards. Searching {@code qat.checkpoints} for a checkpoint it no
 * longer holds reads only what was written since the last search (its index remembers the rest).
 */
public final class RetainedCheckpointStore implements CheckpointStore {

  private final KafkaCheckpointStore work;
  private final KafkaCheckpointStore approved;

  public RetainedCheckpointStore(KafkaCheckpointStore work, KafkaCheckpointStore approved) {
    if (work.topic().equals(approved.topic())) {
      throw new IllegalArgumentException(
          "approved: must be another topic than the working copies', both are " + work.topic());
    }
    this.work = work;
    this.approved = approved;
  }

  /**
   * The fleet's two topics with the default chunk size and maximum checkpoint size (a client such
   * as {@code qat pull}).
   */
  public static RetainedCheckpointStore of(KafkaClientSettings clients) {
    return new RetainedCheckpointStore(
        new KafkaCheckpointStore(
            clients, Topics.CHECKPOINTS, KafkaCheckpointStore.DEFAULT_CHUNK_BYTES),
        KafkaCheckpointStore.approved(
            clients,
            KafkaCheckpointStore.DEFAULT_CHUNK_BYTES,
            KafkaCheckpointStore.DEFAULT_MAX_CHECKPOINT_BYTES));
  }

  /** The store on {@code qat.checkpoints}: puts, and the skipped-chunk count of its reads. */
  public KafkaCheckpointStore work() {
    return work;
  }

  /** The store on {@code qat.checkpoints.approved}: the validator's copies of approved models. */
  public KafkaCheckpointStore approved() {
    return approved;
  }

  @Override
  public CheckpointRef put(byte[] bytes) {
    return work.put(bytes);
  }

  @Override
  public CheckpointRef put(EncodedCheckpoint encoded) {
    return work.put(encoded);
  }

  @Override
  public byte[] get(CheckpointRef ref, Duration timeout) {
    if (approved.knows(ref)) {
      return approved.get(ref, timeout);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    Optional<byte[]> found = work.find(ref, timeout);
    if (found.isPresent()) {
      return found.get();
    }
    found = approved.find(ref, left(deadline));
    if (found.isPresent()) {
      return found.get();
    }
    return work.get(ref, left(deadline));
  }

  private static Duration left(long deadline) {
    return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
  }

  @Override
  public void close() {
    try {
      work.close();
    } finally {
      approved.close();
    }
  }
}
