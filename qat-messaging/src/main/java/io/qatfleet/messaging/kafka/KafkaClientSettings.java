package io.qatfleet.messaging.kafka;

import io.qatfleet.messaging.topic.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The one place a Kafka client outside SmallRye's channels is configured: every admin client,
 * producer and consumer the fleet builds by hand (topic creation, the checkpoint store, registry
 * and view readers, the CLI) starts from the same connection settings — bootstrap servers, {@code
 * security.protocol}, SASL and SSL settings, timeouts, metric reporters — so that a cluster that
 * requires TLS or SASL reaches every client, not only the channels.
 *
 * <p>The settings are the connection-level ones that every client kind understands (the names of
 * {@link AdminClientConfig#configNames()}); consumer- or producer-only keys in the source (group
 * id, serializers, SmallRye connector attributes) stay out, so that no client logs them as unknown
 * and no hand-built consumer joins the channels' group by accident. Each client gets a {@code
 * client.id} of {@code <prefix>-<role>-<n>}.
 */
public final class KafkaClientSettings {

  private static final Set<String> CONNECTION_KEYS = AdminClientConfig.configNames();
  private static final AtomicInteger CLIENT_NUMBERS = new AtomicInteger();

  private final Map<String, Object> connection;
  private final String clientIdPrefix;

  private KafkaClientSettings(Map<String, Object> connection, String clientIdPrefix) {
    if (!connection.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
      throw new IllegalArgumentException("Kafka client settings lack bootstrap.servers");
    }
    this.connection = Map.copyOf(connection);
    this.clientIdPrefix = clientIdPrefix;
  }

  /**
   * The connection settings among {@code config} (for a service: Quarkus' {@code kafka.*}
   * configuration, the same the channels get), for clients named after {@code clientIdPrefix}.
   */
  public static KafkaClientSettings of(Map<String, ?> config, String clientIdPrefix) {
    Map<String, Object> connection = new TreeMap<>();
    config.forEach(
        (key, value) -> {
          if (CONNECTION_KEYS.contains(key) && !key.equals(CommonClientConfigs.CLIENT_ID_CONFIG)) {
            connection.put(key, value);
          }
        });
    return new KafkaClientSettings(connection, clientIdPrefix);
  }

  /** Plaintext to {@code bootstrapServers}: the local run and tests. */
  public static KafkaClientSettings bootstrap(String bootstrapServers, String clientIdPrefix) {
    return of(
        Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), clientIdPrefix);
  }

  /**
   * {@code bootstrapServers} plus the client properties in {@code file} (Kafka's own client
   * properties format, as {@code kafka-console-producer --command-config} reads it), when given.
   */
  public static KafkaClientSettings fromFile(
      String bootstrapServers, Path file, String clientIdPrefix) throws IOException {
    Map<String, Object> config = new HashMap<>();
    if (file != null) {
      Properties props = new Properties();
      try (Reader in = Files.newBufferedReader(file)) {
        props.load(in);
      }
      props.forEach((k, v) -> config.put(k.toString(), v));
    }
    config.putIfAbsent(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return of(config, clientIdPrefix);
  }

  public String bootstrapServers() {
    return connection.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG).toString();
  }

  /** The connection settings every client gets (no client id). */
  public Map<String, Object> connection() {
    return connection;
  }

  /** Connection settings plus a fresh client id for {@code role}, then {@code overrides}. */
  public Map<String, Object> clientConfig(String role, Map<String, ?> overrides) {
    Map<String, Object> config = new HashMap<>(connection);
    config.put(
        CommonClientConfigs.CLIENT_ID_CONFIG,
        clientIdPrefix + "-" + role + "-" + CLIENT_NUMBERS.incrementAndGet());
    config.putAll(overrides);
    return config;
  }

  public Admin admin(String role, Map<String, ?> overrides) {
    return Admin.create(clientConfig(role, overrides));
  }

  public Admin admin(String role) {
    return admin(role, Map.of());
  }

  public <K, V> KafkaProducer<K, V> producer(
      String role, Serializer<K> keys, Serializer<V> values, Map<String, ?> overrides) {
    return new KafkaProducer<>(clientConfig(role, overrides), keys, values);
  }

  /**
   * A consumer outside any group (it assigns partitions itself and commits nothing) unless {@code
   * overrides} names a {@code group.id}; it reads committed records only.
   */
  public <K, V> KafkaConsumer<K, V> consumer(
      String role, Deserializer<K> keys, Deserializer<V> values, Map<String, ?> overrides) {
    Map<String, Object> config = clientConfig(role, Map.of());
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // The validator publishes each decision as a transaction: a reader sees it whole or not at all.
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.putAll(overrides);
    return new KafkaConsumer<>(config, keys, values);
  }

  /** A producer that waits for all in-sync replicas and never duplicates on retry. */
  public static Map<String, Object> durableProducer() {
    return Map.of(
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
  }

  /**
   * The producer of checkpoint chunks ({@code KafkaCheckpointStore}): {@link #durableProducer()},
   * no compression (weights hardly compress, and the chunks are hashed already), and batches as
   * large as {@code qat.checkpoints} takes ({@link Topics#CHECKPOINT_MAX_MESSAGE_BYTES}): four
   * default 512 KiB chunks each, sent at once ({@code linger.ms} 0). A produce request carries one
   * batch per partition and a checkpoint's chunks share one partition, so the batch size sets how
   * many requests a put costs. Enough buffer memory for a 50 MB checkpoint in flight.
   *
   * @param deliveryTimeoutMs how long a chunk may take to be acknowledged
   */
  public static Map<String, Object> checkpointProducer(int deliveryTimeoutMs) {
    Map<String, Object> config = new HashMap<>(durableProducer());
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, Topics.CHECKPOINT_MAX_MESSAGE_BYTES);
    config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * Topics.CHECKPOINT_MAX_MESSAGE_BYTES);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
    config.put(ProducerConfig.SEND_BUFFER_CONFIG, 1024 * 1024);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, deliveryTimeoutMs);
    return config;
  }

  /**
   * A reader of checkpoint chunks ({@code KafkaCheckpointStore}): fetches of up to 16 MiB of a
   * partition (30 default chunks; the next fetch is in flight while a poll's chunks are hashed and
   * copied), and a short {@code fetch.max.wait.ms}, because a reader is reused across gets and the
   * fetch it pipelined after its last chunk would otherwise hold the next get's first fetch for the
   * default 500 ms when nothing new arrives on that partition.
   */
  public static Map<String, Object> checkpointConsumer() {
    return Map.of(
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024,
        ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024,
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10,
        ConsumerConfig.RECEIVE_BUFFER_CONFIG, 1024 * 1024,
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
  }

  @Override
  public String toString() {
    Map<String, Object> shown = new TreeMap<>(connection);
    shown.replaceAll((k, v) -> k.contains("password") || k.contains("jaas") ? "[hidden]" : v);
    return "KafkaClientSettings" + shown;
  }
}
