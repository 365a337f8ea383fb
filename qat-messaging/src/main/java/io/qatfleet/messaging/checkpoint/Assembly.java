package io.qatfleet.messaging.checkpoint;

import io.qatfleet.messaging.checkpoint.CheckpointTransportException.Reason;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The chunks of one checkpoint as they arrive, checked against its reference. Chunks are hashed and
 * copied into the result in index order as soon as they are contiguous, so verification overlaps
 * the transfer and each byte is copied once out of the fetched buffers.
 */
final class Assembly {

  private final CheckpointRef ref;
  private final MessageDigest sha = CheckpointRef.newSha256();
  private byte[] out;
  private ByteBuffer[] pending;
  private boolean[] seen;
  private int received;
  private int next;
  private int written;

  Assembly(CheckpointRef ref) {
    this.ref = ref;
  }

  boolean complete() {
    return seen != null && received == seen.length;
  }

  void add(ConsumerRecord<String, ByteBuffer> record, ChunkHeader header) {
    String where = "chunk at " + record.topic() + "-" + record.partition() + "@" + record.offset();
    if (header == null || !header.plausible()) {
      throw new CheckpointTransportException(
          Reason.BAD_CHUNK,
          ref,
          where + " of checkpoint " + ref.sha256() + " has missing or unreadable headers");
    }
    if (!header.sha256().equals(ref.sha256())) {
      throw new CheckpointTransportException(
          Reason.BAD_CHUNK,
          ref,
          where + " is keyed " + ref.sha256() + " but its header says " + header.sha256());
    }
    if (header.total() != ref.bytes()) {
      throw new CheckpointTransportException(
          Reason.SIZE_MISMATCH,
          ref,
          where + " declares " + header.total() + " bytes in total, the reference " + ref.bytes());
    }
    if (seen == null) {
      seen = new boolean[header.count()];
      pending = new ByteBuffer[header.count()];
      out = new byte[(int) ref.bytes()];
    } else if (seen.length != header.count()) {
      throw new CheckpointTransportException(
          Reason.BAD_CHUNK,
          ref,
          where + " declares " + header.count() + " chunks, an earlier one " + seen.length);
    }
    if (seen[header.index()]) {
      return;
    }
    seen[header.index()] = true;
    pending[header.index()] =
        record.value() == null ? ByteBuffer.allocate(0) : record.value().duplicate();
    received++;
    while (next < seen.length && pending[next] != null) {
      ByteBuffer chunk = pending[next];
      pending[next++] = null;
      int length = chunk.remaining();
      if (length > out.length - written) {
        throw new CheckpointTransportException(
            Reason.SIZE_MISMATCH,
            ref,
            "chunks of checkpoint " + ref.sha256() + " hold more than " + ref.bytes() + " bytes");
      }
      chunk.get(out, written, length);
      sha.update(out, written, length);
      written += length;
    }
  }

  CheckpointTransportException timedOut(Duration timeout) {
    if (seen == null) {
      return new CheckpointTransportException(
          Reason.NOT_FOUND,
          ref,
          "no chunk of checkpoint " + ref.sha256() + " arrived within " + timeout);
    }
    int missing = 0;
    while (seen[missing]) {
      missing++;
    }
    return new CheckpointTransportException(
        Reason.MISSING_CHUNK,
        ref,
        "missing chunk "
            + missing
            + " of "
            + seen.length
            + " (0-based; "
            + received
            + " received) of checkpoint "
            + ref.sha256()
            + " within "
            + timeout);
  }

  byte[] bytes() {
    if (written != out.length) {
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
              + seen.length
              + " chunks has SHA-256 "
              + actual
              + ", expected "
              + ref.sha256());
    }
    return out;
  }
}
