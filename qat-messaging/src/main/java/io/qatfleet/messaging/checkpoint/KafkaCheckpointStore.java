package io.qatfleet.messaging.checkpoint;

import io.qatfleet.messaging.checkpoint.CheckpointTransportException.Reason;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.topic.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
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
 * #HEADER_CHUNK_INDEX} (0-based), {@value #HEADER_CHUNK_COUNT} and {@value #HEADER_TOTAL_BYTES} as
 * ASCII decimal strings. The call returns once the broker acknowledged every chunk.
 *
 * <p><b>Reading.</b> {@link #get} reads only the partition the key hashes to (Kafka's default
 * partitioner, which {@code put} applies explicitly), collects that checkpoint's chunks, and
 * verifies size and SHA-256. The store keeps an in-memory index of where each checkpoint's chunks
 * lie and how far each partition has been scanned: a checkpoint seen before is read from its first
 * chunk, a new one from where the last scan stopped; the topic is scanned from its start only once
 * per store. A chunk that does not arrive within the timeout, a chunk with bad headers, or bytes
 * with the wrong size or digest raise a {@link CheckpointTransportException}.
 *
 * <p>The topic must exist with its partitions before the first put ({@code
 * TopicAdmin.ensureTopics}); a broker that auto-creates topics would otherwise make it with one.
 *
 * <p>Puts are idempotent: a checkpoint this store already knows to be complete is not written
 * again, and duplicate chunks (a second put from another process) are ignored by readers. The store
 * is thread-safe; each {@code get} uses its own consumer.
 */
public final class KafkaCheckpointStore implements CheckpointStore {

  /** Chunk size unless configured otherwise: 512 KiB. */
  public static final int DEFAULT_CHUNK_BYTES = 512 * 1024;

  /** Largest configurable chunk; {@code qat.checkpoints} accepts it with room for headers. */
  public static final int MAX_CHUNK_BYTES = 2 * 1024 * 1024;

  public static final String HEADER_SHA256 = "qat.sha256";
  public static final String HEADER_CHUNK_INDEX = "qat.chunk.index";
  public static final String HEADER_CHUNK_COUNT = "qat.chunk.count";
  public static final String HEADER_TOTAL_BYTES = "qat.total.bytes";

  /** How long {@link #put} waits for the broker to acknowledge all chunks. */
  public static final Duration PUT_TIMEOUT = Duration.ofMinutes(2);

  private static final Duration MAX_POLL = Duration.ofMillis(200);
  private static final int PRODUCER_BATCH_BYTES = 2 * 1024 * 1024;

  private final KafkaClientSettings clients;
  private final String topic;
  private final int chunkBytes;
  private final KafkaProducer<String, byte[]> producer;
  private final ChunkIndex index = new ChunkIndex();
  private volatile int partitionCount = -1;

  /** A plaintext store on {@link Topics#CHECKPOINTS} with the default chunk size (local runs). */
  public KafkaCheckpointStore(String bootstrapServers) {
    this(
        KafkaClientSettings.bootstrap(bootstrapServers, "qat"),
        Topics.CHECKPOINTS,
        DEFAULT_CHUNK_BYTES);
  }

  /**
   * A store on {@code topic}.
   *
   * @param clients the connection settings of every producer and consumer the store opens
   * @param chunkBytes chunk size, 1 to {@link #MAX_CHUNK_BYTES}
   */
  public KafkaCheckpointStore(KafkaClientSettings clients, String topic, int chunkBytes) {
    if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) {
      throw new IllegalArgumentException(
          "chunkBytes must be in 1.." + MAX_CHUNK_BYTES + ", was " + chunkBytes);
    }
    this.clients = clients;
    this.topic = topic;
    this.chunkBytes = chunkBytes;
    this.producer =
        clients.producer(
            "checkpoint-writer",
            new StringSerializer(),
            new ByteArraySerializer(),
            producerConfig());
  }

  public int chunkBytes() {
    return chunkBytes;
  }

  /** The partition holding the chunks of {@code sha256}: Kafka's default for that key. */
  public static int partitionFor(String sha256, int partitions) {
    return Utils.toPositive(Utils.murmur2(sha256.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  @Override
  public CheckpointRef put(byte[] bytes) {
    CheckpointRef ref = CheckpointRef.of(bytes);
    if (index.isComplete(ref.sha256())) {
      return ref;
    }
    int count = Math.max(1, (int) ((bytes.length + (long) chunkBytes - 1) / chunkBytes));
    long deadline = System.nanoTime() + PUT_TIMEOUT.toNanos();
    try {
      int partition = partitionFor(ref.sha256(), partitions(null, ref, PUT_TIMEOUT));
      List<Future<RecordMetadata>> sent = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        int from = i * chunkBytes;
        byte[] chunk = Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + chunkBytes));
        Headers headers = headers(ref.sha256(), i, count, bytes.length);
        sent.add(
            producer.send(new ProducerRecord<>(topic, partition, ref.sha256(), chunk, headers)));
      }
      long[] offsets = new long[count];
      for (int i = 0; i < count; i++) {
        long left = Math.max(0, deadline - System.nanoTime());
        offsets[i] = sent.get(i).get(left, TimeUnit.NANOSECONDS).offset();
      }
      index.recordPut(ref.sha256(), count, bytes.length, offsets);
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

  @Override
  public byte[] get(CheckpointRef ref, Duration timeout) {
    if (ref.bytes() > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "checkpoint " + ref.sha256() + " of " + ref.bytes() + " bytes exceeds a Java array");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    KafkaConsumer<String, ByteBuffer> consumer = null;
    try {
      consumer =
          clients.consumer(
              "checkpoint-reader",
              new StringDeserializer(),
              new ByteBufferDeserializer(),
              consumerConfig());
      int partition = partitionFor(ref.sha256(), partitions(consumer, ref, timeout));
      TopicPartition tp = new TopicPartition(topic, partition);
      consumer.assign(List.of(tp));
      consumer.seek(tp, index.startOffset(ref.sha256(), partition));
      Assembly assembly = new Assembly(ref);
      while (!assembly.complete()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw assembly.timedOut(timeout);
        }
        Duration poll = Duration.ofNanos(Math.min(left, MAX_POLL.toNanos()));
        for (ConsumerRecord<String, ByteBuffer> record : consumer.poll(poll)) {
          ChunkHeader header = ChunkHeader.of(record.headers());
          index.observe(partition, record.offset(), header);
          if (ref.sha256().equals(record.key()) && !assembly.complete()) {
            assembly.add(record, header);
          }
        }
      }
      return assembly.bytes();
    } catch (KafkaException e) {
      throw new CheckpointTransportException(
          Reason.TRANSPORT, ref, "cannot read checkpoint " + ref.sha256() + ": " + e, e);
    } finally {
      if (consumer != null) {
        // Not waiting for the fetch pipelined after the last chunk: it would idle on the broker.
        consumer.close(CloseOptions.timeout(Duration.ZERO));
      }
    }
  }

  @Override
  public void close() {
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

  private static Headers headers(String sha256, int index, int count, long total) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(HEADER_SHA256, ascii(sha256));
    headers.add(HEADER_CHUNK_INDEX, ascii(Integer.toString(index)));
    headers.add(HEADER_CHUNK_COUNT, ascii(Integer.toString(count)));
    headers.add(HEADER_TOTAL_BYTES, ascii(Long.toString(total)));
    return headers;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static Map<String, Object> producerConfig() {
    Map<String, Object> config = new HashMap<>(KafkaClientSettings.durableProducer());
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    // A batch never exceeds the topic's max.message.bytes (batches of 512 KiB chunks hold three);
    // a request carries several batches. Measured on loopback: twice the put rate of the defaults.
    config.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, PRODUCER_BATCH_BYTES);
    config.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * PRODUCER_BATCH_BYTES);
    config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
    config.putIfAbsent(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
    config.putIfAbsent(ProducerConfig.SEND_BUFFER_CONFIG, 1024 * 1024);
    config.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) PUT_TIMEOUT.toMillis());
    return config;
  }

  private static Map<String, Object> consumerConfig() {
    Map<String, Object> config = new HashMap<>();
    config.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
    config.putIfAbsent(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
    config.putIfAbsent(ConsumerConfig.RECEIVE_BUFFER_CONFIG, 1024 * 1024);
    config.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
    return config;
  }
}
