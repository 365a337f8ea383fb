package io.qatfleet.messaging.checkpoint;

import io.qatfleet.core.checkpoint.EncodedCheckpoint;
import io.qatfleet.messaging.checkpoint.CheckpointTransportException.Reason;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.topic.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * A {@link CheckpointStore} on a Kafka topic ({@code qat.checkpoints} by default), so that the
 * services need nothing but the broker to hand each other checkpoints.
 *
 * <p><b>Writing.</b> {@link #put} splits the bytes into chunks of {@link #DEFAULT_CHUNK_BYTES}
 * (configurable, far below the topic's {@code max.message.bytes}), all keyed by the SHA-256 and so
 * all in one partition, in order. Each chunk carries headers {@value #HEADER_SHA256}, {@value
 * #HEADER_CHUNK_INDEX} (0-based), {@value #HEADER_CHUNK_COUNT}, {@value #HEADER_TOTAL_BYTES} and
 * {@value #HEADER_CHUNK_BYTES} (the writer's chunk size) as ASCII decimal strings. The call returns
 * once the broker acknowledged every chunk. A checkpoint larger than the store's maximum ({@link
 * #DEFAULT_MAX_CHECKPOINT_BYTES} unless configured) is refused before anything is written.
 *
 * <p><b>Reading.</b> {@link #get} reads only the partition the key hashes to (Kafka's default
 * partitioner, which {@code put} applies explicitly), collects that checkpoint's chunks, and
 * verifies size and SHA-256. A reference larger than the maximum is refused before a consumer is
 * opened. Every record's headers are checked before anything is taken from them ({@link
 * ChunkHeader#problem}: count {@code = ceil(total / chunk size)}, index below it, total within the
 * maximum, payload of the exact length, on the partition its key hashes to); a record that fails is
 * skipped and counted ({@link #skippedChunks()}), never fatal. Nothing is allocated from a claim:
 * the result array is made when chunk 0 is in hand, at the reference's size, already checked
 * against the maximum.
 *
 * <p><b>Finding the chunks without scanning the whole topic.</b> The store keeps a bounded index
 * ({@link ChunkIndex}: the offset of chunk 0 of at most {@link ChunkIndex#DEFAULT_MAX_ENTRIES}
 * checkpoints, and per partition the range of offsets it has indexed). A checkpoint in the index is
 * read from its chunk 0. Any other is looked for newest first: the records written since the last
 * scan, read forward (where a checkpoint put moments ago lies, assembled in the same pass), then
 * windows of {@value #DEFAULT_SEARCH_WINDOW} records further and further back below the indexed
 * range (each window read forward and assembled as it goes), until its chunk 0 turns up; the rest
 * of its chunks are then read forward from there. A fresh reader (a restarted service) thus reads
 * what was written after the checkpoint it wants, not the topic from offset 0; the search stops at
 * the timeout. Chunks not on the topic yet are waited for at its end once the search has reached
 * the partition's start (a put returns before its reference is sent, so a reader normally finds
 * them). Reading an old checkpoint (a registry entry's) still reads back to it once; after that the
 * index knows it.
 *
 * <p>A chunk that does not arrive within the timeout, or bytes with the wrong size or digest raise
 * a {@link CheckpointTransportException}.
 *
 * <p>The topic must exist with its partitions before the first put ({@code
 * TopicAdmin.ensureTopics}); a broker that auto-creates topics would otherwise make it with one.
 *
 * <p>Puts are idempotent: a checkpoint this store already knows to be complete is not written
 * again, and duplicate chunks (a second put from another process) are ignored by readers. The store
 * is thread-safe; each {@code get} uses a consumer of its own, taken from the ones earlier gets
 * finished with (at most {@link #MAX_IDLE_READERS} are kept open) or opened for it. Producer and
 * consumers are tuned for chunks in {@link KafkaClientSettings#checkpointProducer} and {@link
 * KafkaClientSettings#checkpointConsumer}.
 *
 * <p><b>Retention.</b> On {@code qat.checkpoints} the broker deletes old chunks ({@code
 * retention.ms}); an index entry below a partition's log start is not used, and a checkpoint whose
 * chunk 0 is gone is not found ({@link #find}). The store made by {@link #approved} reads and
 * writes {@code qat.checkpoints.approved}, a compacted topic: there every chunk has its own key
 * ({@code <sha256>/<index>}, see {@link #chunkKey}) so that compaction keeps one copy of each, and
 * readers take chunks in any order (compaction may leave an older copy's chunk before a newer
 * copy's chunk 0). {@link RetainedCheckpointStore} reads both.
 */
public final class KafkaCheckpointStore implements CheckpointStore {

  /** Chunk size unless configured otherwise: 512 KiB. */
  public static final int DEFAULT_CHUNK_BYTES = 512 * 1024;

  /** Largest configurable chunk; {@code qat.checkpoints} accepts it with room for headers. */
  public static final int MAX_CHUNK_BYTES = 2 * 1024 * 1024;

  /** Largest checkpoint put or read unless configured otherwise: 256 MiB. */
  public static final long DEFAULT_MAX_CHECKPOINT_BYTES = 256L * 1024 * 1024;

  /** Largest configurable maximum checkpoint: what one Java array holds. */
  public static final long LIMIT_CHECKPOINT_BYTES = Integer.MAX_VALUE - 8;

  public static final String HEADER_SHA256 = "qat.sha256";
  public static final String HEADER_CHUNK_INDEX = "qat.chunk.index";
  public static final String HEADER_CHUNK_COUNT = "qat.chunk.count";
  public static final String HEADER_TOTAL_BYTES = "qat.total.bytes";
  public static final String HEADER_CHUNK_BYTES = "qat.chunk.bytes";

  /** How long {@link #put} waits for the broker to acknowledge all chunks. */
  public static final Duration PUT_TIMEOUT = Duration.ofMinutes(2);

  /** Records read per step of the backward search for a checkpoint the index does not know. */
  static final int DEFAULT_SEARCH_WINDOW = 256;

  /** Readers' consumers kept open between gets. */
  static final int MAX_IDLE_READERS = 2;

  private static final Duration MAX_POLL = Duration.ofMillis(200);

  private final KafkaClientSettings clients;
  private final String topic;
  private final boolean keyPerChunk;
  private final int chunkBytes;
  private final long maxCheckpointBytes;
  private final int searchWindow;
  private final KafkaProducer<String, byte[]> producer;
  private final ChunkIndex index;
  private final AtomicLong skippedChunks = new AtomicLong();
  private final Deque<KafkaConsumer<String, ByteBuffer>> idleReaders =
      new ConcurrentLinkedDeque<>();
  private volatile boolean closed;
  private volatile int partitionCount = -1;

  /** A plaintext store on {@link Topics#CHECKPOINTS} with the default chunk size (local runs). */
  public KafkaCheckpointStore(String bootstrapServers) {
    this(
        KafkaClientSettings.bootstrap(bootstrapServers, "qat"),
        Topics.CHECKPOINTS,
        DEFAULT_CHUNK_BYTES);
  }

  /** A store on {@code topic} with the default maximum checkpoint size. */
  public KafkaCheckpointStore(KafkaClientSettings clients, String topic, int chunkBytes) {
    this(clients, topic, chunkBytes, DEFAULT_MAX_CHECKPOINT_BYTES);
  }

  /**
   * A store on {@code topic}.
   *
   * @param clients the connection settings of every producer and consumer the store opens
   * @param chunkBytes chunk size, 1 to {@link #MAX_CHUNK_BYTES}
   * @param maxCheckpointBytes the largest checkpoint put or read, 0 to {@link
   *     #LIMIT_CHECKPOINT_BYTES}
   */
  public KafkaCheckpointStore(
      KafkaClientSettings clients, String topic, int chunkBytes, long maxCheckpointBytes) {
    this(
        clients,
        topic,
        false,
        chunkBytes,
        maxCheckpointBytes,
        ChunkIndex.DEFAULT_MAX_ENTRIES,
        DEFAULT_SEARCH_WINDOW);
  }

  /**
   * The store of approved models' checkpoints on {@link Topics#APPROVED_CHECKPOINTS}: each chunk
   * keyed {@link #chunkKey}, so that the compacted topic keeps every chunk. Written only inside the
   * validator's decision transactions ({@link #chunkRecords}); {@link #put} works too (tests).
   */
  public static KafkaCheckpointStore approved(
      KafkaClientSettings clients, int chunkBytes, long maxCheckpointBytes) {
    return new KafkaCheckpointStore(
        clients,
        Topics.APPROVED_CHECKPOINTS,
        true,
        chunkBytes,
        maxCheckpointBytes,
        ChunkIndex.DEFAULT_MAX_ENTRIES,
        DEFAULT_SEARCH_WINDOW);
  }

  KafkaCheckpointStore(
      KafkaClientSettings clients,
      String topic,
      boolean keyPerChunk,
      int chunkBytes,
      long maxCheckpointBytes,
      int indexEntries,
      int searchWindow) {
    if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) {
      throw new IllegalArgumentException(
          "chunkBytes must be in 1.." + MAX_CHUNK_BYTES + ", was " + chunkBytes);
    }
    if (maxCheckpointBytes < 0 || maxCheckpointBytes > LIMIT_CHECKPOINT_BYTES) {
      throw new IllegalArgumentException(
          "maxCheckpointBytes must be in 0.."
              + LIMIT_CHECKPOINT_BYTES
              + ", was "
              + maxCheckpointBytes);
    }
    if (searchWindow < 1) {
      throw new IllegalArgumentException("searchWindow must be >= 1, was " + searchWindow);
    }
    this.clients = clients;
    this.topic = topic;
    this.keyPerChunk = keyPerChunk;
    this.chunkBytes = chunkBytes;
    this.maxCheckpointBytes = maxCheckpointBytes;
    this.searchWindow = searchWindow;
    this.index = new ChunkIndex(indexEntries);
    this.producer =
        clients.producer(
            "checkpoint-writer",
            new StringSerializer(),
            new ByteArraySerializer(),
            KafkaClientSettings.checkpointProducer((int) PUT_TIMEOUT.toMillis()));
  }

  public int chunkBytes() {
    return chunkBytes;
  }

  public long maxCheckpointBytes() {
    return maxCheckpointBytes;
  }

  public String topic() {
    return topic;
  }

  /** The key of chunk {@code index} of {@code sha256} on a topic whose every chunk has its own. */
  public static String chunkKey(String sha256, int index) {
    return sha256 + "/" + index;
  }

  private String keyOf(String sha256, int index) {
    return keyPerChunk ? chunkKey(sha256, index) : sha256;
  }

  /**
   * Records on the topic this store skipped because their chunk headers were missing, unreadable or
   * inconsistent (see {@link ChunkHeader#problem}), counted each time a read met one. Services
   * expose it as a metric.
   */
  public long skippedChunks() {
    return skippedChunks.get();
  }

  /** Consumers of finished gets kept open for the next ones (tests). */
  int idleReaders() {
    return idleReaders.size();
  }

  /** The partition holding the chunks of {@code sha256}: Kafka's default for that key. */
  public static int partitionFor(String sha256, int partitions) {
    return Utils.toPositive(Utils.murmur2(sha256.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  @Override
  public CheckpointRef put(byte[] bytes) {
    CheckpointRef ref = CheckpointRef.of(bytes);
    return put(ByteBuffer.wrap(bytes), ref);
  }

  /** Writes the encoded checkpoint under the codec's digest, without hashing it again. */
  @Override
  public CheckpointRef put(EncodedCheckpoint encoded) {
    return put(encoded.view(), new CheckpointRef(encoded.sha256(), encoded.length()));
  }

  private CheckpointRef put(ByteBuffer bytes, CheckpointRef ref) {
    if (ref.bytes() > maxCheckpointBytes) {
      throw tooLarge(ref);
    }
    if (index.isComplete(ref.sha256())) {
      return ref;
    }
    long deadline = System.nanoTime() + PUT_TIMEOUT.toNanos();
    try {
      int count = ChunkHeader.countFor(ref.bytes(), chunkBytes);
      int partition = partitionFor(ref.sha256(), partitions(null, ref, PUT_TIMEOUT));
      List<Future<RecordMetadata>> sent = new ArrayList<>(count);
      // Each chunk is copied out just before it is sent, so the producer's I/O thread ships the
      // first batches while later chunks are still being cut, and no second copy of the whole
      // checkpoint is held.
      for (int i = 0; i < count; i++) {
        sent.add(producer.send(chunkRecord(bytes, ref, partition, i, count)));
      }
      long firstChunk = -1;
      for (int i = 0; i < sent.size(); i++) {
        long left = Math.max(0, deadline - System.nanoTime());
        long offset = sent.get(i).get(left, TimeUnit.NANOSECONDS).offset();
        if (i == 0) {
          firstChunk = offset;
        }
      }
      index.recordComplete(ref.sha256(), partition, firstChunk);
      return ref;
    } catch (ExecutionException e) {
      throw new CheckpointTransportException(
          Reason.TRANSPORT,
          ref,
          "cannot write checkpoint " + ref.sha256() + " to " + topic + ": " + e.getCause(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new CheckpointTransportException(
          Reason.TRANSPORT,
          ref,
          "broker did not acknowledge checkpoint " + ref.sha256() + " within " + PUT_TIMEOUT,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CheckpointTransportException(
          Reason.TRANSPORT, ref, "interrupted writing checkpoint " + ref.sha256(), e);
    } catch (KafkaException e) {
      throw new CheckpointTransportException(
          Reason.TRANSPORT, ref, "cannot write checkpoint " + ref.sha256() + ": " + e, e);
    }
  }

  /**
   * The chunk records a put of {@code bytes} writes, in order, for a producer of the caller's (the
   * validator sends them inside its decision's transaction). Refuses bytes over the maximum.
   *
   * @throws CheckpointTransportException when the topic's partitions cannot be looked up
   */
  public List<ProducerRecord<String, byte[]>> chunkRecords(byte[] bytes) {
    CheckpointRef ref = CheckpointRef.of(bytes);
    if (bytes.length > maxCheckpointBytes) {
      throw tooLarge(ref);
    }
    try {
      return chunkRecords(bytes, ref);
    } catch (KafkaException e) {
      throw new CheckpointTransportException(
          Reason.TRANSPORT, ref, "no metadata for topic " + topic + ": " + e, e);
    }
  }

  private List<ProducerRecord<String, byte[]>> chunkRecords(byte[] bytes, CheckpointRef ref) {
    int count = ChunkHeader.countFor(bytes.length, chunkBytes);
    int partition = partitionFor(ref.sha256(), partitions(null, ref, PUT_TIMEOUT));
    ByteBuffer all = ByteBuffer.wrap(bytes);
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      records.add(chunkRecord(all, ref, partition, i, count));
    }
    return records;
  }

  /** Chunk {@code i} of {@code count} of the checkpoint {@code bytes}, copied out of them. */
  private ProducerRecord<String, byte[]> chunkRecord(
      ByteBuffer bytes, CheckpointRef ref, int partition, int i, int count) {
    int from = i * chunkBytes;
    byte[] chunk = new byte[(int) Math.min(chunkBytes, ref.bytes() - from)];
    bytes.get(from, chunk);
    Headers headers = headers(ref.sha256(), i, count, ref.bytes(), chunkBytes);
    return new ProducerRecord<>(topic, partition, keyOf(ref.sha256(), i), chunk, headers);
  }

  @Override
  public byte[] get(CheckpointRef ref, Duration timeout) {
    return read(ref, timeout, true);
  }

  /**
   * Like {@link #get}, but when chunk 0 of {@code ref} is nowhere on its partition (never written,
   * or deleted by the topic's retention) returns empty at once instead of waiting for it to arrive.
   *
   * @throws CheckpointTransportException when chunk 0 was found but the rest did not arrive in
   *     time, or the bytes have the wrong size or digest
   */
  public Optional<byte[]> find(CheckpointRef ref, Duration timeout) {
    return Optional.ofNullable(read(ref, timeout, false));
  }

  /** Whether this store has read or written all of {@code ref} (its index still holds it). */
  public boolean knows(CheckpointRef ref) {
    return index.isComplete(ref.sha256());
  }

  private byte[] read(CheckpointRef ref, Duration timeout, boolean awaitMissing) {
    if (ref.bytes() > maxCheckpointBytes) {
      throw tooLarge(ref);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    KafkaConsumer<String, ByteBuffer> consumer = null;
    boolean reusable = false;
    try {
      consumer = borrowReader();
      int partitions = partitions(consumer, ref, timeout);
      byte[] bytes = new Read(consumer, partitions, ref, deadline, timeout).run(awaitMissing);
      reusable = true;
      return bytes;
    } catch (KafkaException e) {
      throw new CheckpointTransportException(
          Reason.TRANSPORT, ref, "cannot read checkpoint " + ref.sha256() + ": " + e, e);
    } finally {
      if (consumer != null) {
        release(consumer, reusable);
      }
    }
  }

  /**
   * An idle reader's consumer, or a new one. Opening a consumer (connection, metadata) cost more
   * than reading a 1 MB checkpoint on loopback, so finished reads hand theirs back.
   */
  private KafkaConsumer<String, ByteBuffer> borrowReader() {
    KafkaConsumer<String, ByteBuffer> idle = idleReaders.pollFirst();
    return idle != null
        ? idle
        : clients.consumer(
            "checkpoint-reader",
            new StringDeserializer(),
            new ByteBufferDeserializer(),
            KafkaClientSettings.checkpointConsumer());
  }

  /**
   * Keeps the consumer of a read that succeeded for the next one (at most {@link
   * #MAX_IDLE_READERS}); closes one whose read failed, since its state is not known.
   */
  private void release(KafkaConsumer<String, ByteBuffer> consumer, boolean reusable) {
    if (reusable && !closed && idleReaders.size() < MAX_IDLE_READERS) {
      idleReaders.offerFirst(consumer);
      if (closed) {
        closeIdleReaders(); // close() ran meanwhile and may have missed it
      }
      return;
    }
    closeReader(consumer);
  }

  private void closeIdleReaders() {
    KafkaConsumer<String, ByteBuffer> idle;
    while ((idle = idleReaders.pollFirst()) != null) {
      closeReader(idle);
    }
  }

  private static void closeReader(KafkaConsumer<String, ByteBuffer> consumer) {
    // Not waiting for the fetch pipelined after the last chunk: it would idle on the broker.
    consumer.close(CloseOptions.timeout(Duration.ZERO));
  }

  private CheckpointTransportException tooLarge(CheckpointRef ref) {
    return new CheckpointTransportException(
        Reason.TOO_LARGE,
        ref,
        "checkpoint "
            + ref.sha256()
            + " of "
            + ref.bytes()
            + " bytes exceeds the maximum checkpoint size of "
            + maxCheckpointBytes
            + " bytes (qat.checkpoint-max-bytes)");
  }

  /** One {@link #get}: its consumer on the checkpoint's partition, and the chunks so far. */
  private final class Read {
    private final KafkaConsumer<String, ByteBuffer> consumer;
    private final int partitions;
    private final int partition;
    private final TopicPartition tp;
    private final CheckpointRef ref;
    private final long deadline;
    private final Duration timeout;
    private Assembly assembly;

    Read(
        KafkaConsumer<String, ByteBuffer> consumer,
        int partitions,
        CheckpointRef ref,
        long deadline,
        Duration timeout) {
      this.consumer = consumer;
      this.partitions = partitions;
      this.partition = partitionFor(ref.sha256(), partitions);
      this.tp = new TopicPartition(topic, partition);
      this.ref = ref;
      this.deadline = deadline;
      this.timeout = timeout;
      this.assembly = new Assembly(ref);
      consumer.assign(List.of(tp));
    }

    /** The bytes; null when chunk 0 is nowhere on the partition and not {@code awaitMissing}. */
    byte[] run(boolean awaitMissing) {
      Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
      long begin = consumer.beginningOffsets(List.of(tp), left).get(tp);
      index.logStart(partition, begin); // forgets what retention deleted since it was indexed
      long known = index.firstChunk(ref.sha256());
      if (known >= 0) {
        scan(known, Long.MAX_VALUE, true);
        return finish();
      }
      long end = consumer.endOffsets(List.of(tp), left).get(tp);
      long[] indexed = index.indexedRange(partition, begin, end);
      // What was written since the last scan first: a checkpoint put moments ago lies there.
      long reached = scan(indexed[1], end, true);
      index.markIndexed(partition, indexed[1], reached);
      if (assembly.complete()) {
        return finish();
      }
      if (!assembly.hasFirstChunk()) {
        Assembly fromTail = assembly;
        long resume = searchBackward(indexed[0], begin);
        if (resume >= 0) {
          scan(resume, Long.MAX_VALUE, true);
          return finish();
        }
        fromTail.noteSkipsOf(assembly);
        assembly = fromTail;
        if (!awaitMissing) {
          return null; // chunk 0 is nowhere on the partition
        }
      }
      scan(end, Long.MAX_VALUE, true); // chunks still to come
      return finish();
    }

    /**
     * Reads windows below {@code from} back to {@code begin}, newest first, each with a fresh
     * assembly, until one holds chunk 0 of the ref (read in the same pass); returns where to read
     * on from for the rest of its chunks, or -1 when chunk 0 is nowhere below {@code from}.
     */
    private long searchBackward(long from, long begin) {
      while (from > begin) {
        long lo = Math.max(begin, from - searchWindow);
        assembly = assembly.restart();
        long reached = scan(lo, from, true);
        if (reached >= from) {
          index.markIndexed(partition, lo, from);
        }
        if (assembly.hasFirstChunk()) {
          return reached;
        }
        from = lo;
      }
      return -1;
    }

    /**
     * Reads {@code [from, until)}, indexing every acceptable chunk 0 and, when {@code assemble},
     * taking the ref's chunks, until the assembly completes; returns the offset reached. Every
     * record below the returned offset has been looked at and indexed: the poll that completes the
     * assembly is read to its end (or to {@code until}), so that callers may {@link
     * ChunkIndex#markIndexed} up to it.
     *
     * @throws CheckpointTransportException at the deadline
     */
    private long scan(long from, long until, boolean assemble) {
      consumer.seek(tp, from);
      long reached = from;
      while (reached < until && !(assemble && assembly.complete())) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw assembly.timedOut(timeout);
        }
        Duration poll = Duration.ofNanos(Math.min(left, MAX_POLL.toNanos()));
        for (ConsumerRecord<String, ByteBuffer> record : consumer.poll(poll)) {
          if (record.offset() >= until) {
            break;
          }
          // Every record of the poll below `until` is indexed, also those after the ref's last
          // chunk: the position read below counts them as indexed.
          reached = record.offset() + 1;
          ChunkHeader header = accepted(record);
          if (header == null) {
            continue;
          }
          index.observe(partition, record.offset(), header);
          if (assemble && !assembly.complete() && ref.sha256().equals(header.sha256())) {
            assembly.add(record.offset(), record.value(), header);
          }
        }
        if (until != Long.MAX_VALUE) {
          // read_committed: the position also passes aborted records and transaction markers,
          // which poll never returns. Sound only because the loop above looked at every record
          // the poll returned below `until`; leaving it early once the ref was complete made the
          // store mark never-seen chunk 0s as indexed, so a later get of a checkpoint put in the
          // same batch found nothing (NOT_FOUND after the chaos run's broker restarts).
          reached = Math.max(reached, Math.min(until, consumer.position(tp)));
        }
      }
      return reached;
    }

    /** The record's chunk headers if a put could have written them, else null (counted). */
    private ChunkHeader accepted(ConsumerRecord<String, ByteBuffer> record) {
      ChunkHeader header = ChunkHeader.of(record.headers());
      int payload = record.value() == null ? 0 : record.value().remaining();
      if (header != null
          && header.problem(maxCheckpointBytes, payload) == null
          && keyOf(header.sha256(), header.index()).equals(record.key())
          && partitionFor(header.sha256(), partitions) == partition) {
        return header;
      }
      skippedChunks.incrementAndGet();
      return null;
    }

    private byte[] finish() {
      byte[] bytes = assembly.bytes();
      index.recordComplete(ref.sha256(), partition, assembly.firstChunkOffset());
      return bytes;
    }
  }

  @Override
  public void close() {
    closed = true;
    closeIdleReaders();
    producer.close(Duration.ofSeconds(10));
  }

  /** Partition count of the topic, looked up once, through {@code consumer} or the producer. */
  private int partitions(KafkaConsumer<?, ?> consumer, CheckpointRef ref, Duration timeout) {
    int known = partitionCount;
    if (known > 0) {
      return known;
    }
    List<PartitionInfo> infos;
    try {
      infos =
          consumer != null ? consumer.partitionsFor(topic, timeout) : producer.partitionsFor(topic);
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw new CheckpointTransportException(
          Reason.TRANSPORT,
          ref,
          "no metadata for topic " + topic + " within " + timeout + "; is the broker up?",
          e);
    }
    if (infos == null || infos.isEmpty()) {
      throw new CheckpointTransportException(
          Reason.TRANSPORT, ref, "topic " + topic + " does not exist; create it with TopicAdmin");
    }
    partitionCount = infos.size();
    return infos.size();
  }

  private static Headers headers(String sha256, int index, int count, long total, int chunkBytes) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(HEADER_SHA256, ascii(sha256));
    headers.add(HEADER_CHUNK_INDEX, ascii(Integer.toString(index)));
    headers.add(HEADER_CHUNK_COUNT, ascii(Integer.toString(count)));
    headers.add(HEADER_TOTAL_BYTES, ascii(Long.toString(total)));
    headers.add(HEADER_CHUNK_BYTES, ascii(Integer.toString(chunkBytes)));
    return headers;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
