package io.qatfleet.messaging.checkpoint;

import io.qatfleet.messaging.checkpoint.CheckpointTransportException.Reason;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * The chunks of one checkpoint as they arrive, checked against its reference. Chunks are hashed and
 * copied into the result in index order as soon as they are contiguous, so verification overlaps
 * the transfer and each byte is copied once out of the fetched buffers.
 *
 * <p>It only takes chunks whose headers {@link ChunkHeader#problem} accepted. The result array is
 * allocated when chunk 0 is in hand (a record of the exact length a put writes), at the size of the
 * reference, which {@link KafkaCheckpointStore#get} has checked against its maximum first; the
 * bookkeeping of chunks grows with the chunks received, never with a count a header claims. A chunk
 * of this digest that disagrees with the reference (another total) or with the chunks taken so far
 * (another writer's chunk size) is skipped, and named in the error if the checkpoint never
 * completes.
 */
final class Assembly {

  private final CheckpointRef ref;
  private final MessageDigest sha = CheckpointRef.newSha256();
  private final Map<Integer, ByteBuffer> pending = new HashMap<>();
  private byte[] out;
  private int count = -1;
  private int chunkBytes;
  private int received;
  private int next;
  private int written;
  private long firstChunkOffset = -1;
  private String skipped;
  private Reason skippedReason;

  Assembly(CheckpointRef ref) {
    this.ref = ref;
  }

  boolean complete() {
    return count > 0 && next == count;
  }

  /** Whether chunk 0 has been taken. */
  boolean hasFirstChunk() {
    return firstChunkOffset >= 0;
  }

  /** Offset of the chunk 0 taken, or -1. */
  long firstChunkOffset() {
    return firstChunkOffset;
  }

  /** Takes an accepted chunk keyed with this reference's digest; skips one that does not fit. */
  void add(long offset, ByteBuffer value, ChunkHeader header) {
    if (!header.sha256().equals(ref.sha256())) {
      skip(
          Reason.BAD_CHUNK,
          "chunk at offset "
              + offset
              + " is keyed "
              + ref.sha256()
              + " but its header says "
              + header.sha256());
      return;
    }
    if (header.total() != ref.bytes()) {
      skip(
          Reason.SIZE_MISMATCH,
          "chunk at offset "
              + offset
              + " declares "
              + header.total()
              + " bytes in total, the reference "
              + ref.bytes());
      return;
    }
    if (count < 0) {
      count = header.count();
      chunkBytes = header.chunkBytes();
    } else if (header.chunkBytes() != chunkBytes) {
      return; // a put by a writer with another chunk size; the first one's chunks are taken
    }
    int index = header.index();
    if (index < next || pending.containsKey(index)) {
      return; // a duplicate of a chunk taken already
    }
    if (index == 0) {
      firstChunkOffset = offset;
    }
    pending.put(index, value == null ? ByteBuffer.allocate(0) : value.duplicate());
    received++;
    ByteBuffer chunk;
    while ((chunk = pending.remove(next)) != null) {
      if (out == null) {
        out = new byte[(int) ref.bytes()];
      }
      int length = chunk.remaining();
      chunk.get(out, written, length);
      sha.update(out, written, length);
      written += length;
      next++;
    }
  }

  /** A fresh assembly of the same reference that remembers the chunks this one skipped. */
  Assembly restart() {
    Assembly fresh = new Assembly(ref);
    fresh.skipped = skipped;
    fresh.skippedReason = skippedReason;
    return fresh;
  }

  /** Remembers the chunks {@code other} skipped, if this one has skipped none. */
  void noteSkipsOf(Assembly other) {
    if (skipped == null) {
      skipped = other.skipped;
      skippedReason = other.skippedReason;
    }
  }

  private void skip(Reason reason, String why) {
    if (skipped == null) {
      skipped = why;
      skippedReason = reason;
    }
  }

  CheckpointTransportException timedOut(Duration timeout) {
    if (count < 0) {
      if (skipped != null) {
        return new CheckpointTransportException(
            skippedReason,
            ref,
            "no usable chunk of checkpoint "
                + ref.sha256()
                + " within "
                + timeout
                + "; "
                + skipped);
      }
      return new CheckpointTransportException(
          Reason.NOT_FOUND,
          ref,
          "no chunk of checkpoint " + ref.sha256() + " arrived within " + timeout);
    }
    int missing = next; // chunks are taken in index order: the next one is the first missing
    return new CheckpointTransportException(
        Reason.MISSING_CHUNK,
        ref,
        "missing chunk "
            + missing
            + " of "
            + count
            + " (0-based; "
            + received
            + " received) of checkpoint "
            + ref.sha256()
            + " within "
            + timeout);
  }

  byte[] bytes() {
    if (written != ref.bytes()) {
      throw new CheckpointTransportException(
          Reason.SIZE_MISMATCH,
          ref,
          "chunks of checkpoint "
              + ref.sha256()
              + " hold "
              + written
              + " bytes, expected "
              + ref.bytes());
    }
    String actual = HexFormat.of().formatHex(sha.digest());
    if (!actual.equals(ref.sha256())) {
      throw new CheckpointTransportException(
          Reason.DIGEST_MISMATCH,
          ref,
          "checkpoint reassembled from "
              + count
              + " chunks has SHA-256 "
              + actual
              + ", expected "
              + ref.sha256());
    }
    return out == null ? new byte[0] : out;
  }
}
