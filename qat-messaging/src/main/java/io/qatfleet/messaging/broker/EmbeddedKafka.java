package io.qatfleet.messaging.broker;

import io.qatfleet.messaging.security.BrokerSecurity;
import io.smallrye.reactive.messaging.kafka.companion.test.EmbeddedKafkaBroker;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * A real single-node Apache Kafka broker (KRaft, broker and controller in one) running inside this
 * JVM, for tests and the local run where no Docker engine or installed Kafka exists. It uses
 * Kafka's own server classes through SmallRye's {@link EmbeddedKafkaBroker}, so clients talk to it
 * over TCP exactly as to a production broker.
 *
 * <p>It is configured for one node (replication factors and min ISR 1), accepts records up to
 * {@value #MESSAGE_MAX_BYTES} bytes, and lets consumer groups form without the initial rebalance
 * delay. {@link #start()} returns once the broker answers a metadata request.
 *
 * <p>Needs {@code org.apache.kafka:kafka_2.13} and {@code
 * io.smallrye.reactive:smallrye-reactive-messaging-kafka-test-companion} on the class path; both
 * are optional dependencies of qat-messaging, so a module that starts a broker declares them.
 */
public final class EmbeddedKafka implements AutoCloseable {

  /** Largest record batch the broker accepts (topics may set a lower {@code max.message.bytes}). */
  public static final int MESSAGE_MAX_BYTES = 64 * 1024 * 1024;

  /** How long {@link #start} waits for the broker to answer. */
  public static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private static final String HOST = "127.0.0.1";
  private static final int RANDOM_PORT_ATTEMPTS = 3;

  private final EmbeddedKafkaBroker broker;
  private final String bootstrapServers;
  private final BrokerSecurity security;

  private EmbeddedKafka(EmbeddedKafkaBroker broker, BrokerSecurity security) {
    this.broker = broker;
    this.security = security;
    String listener = broker.getAdvertisedListeners().split(",")[0];
    this.bootstrapServers = listener.substring(listener.indexOf("://") + 3);
  }

  /** Starts a broker on a free port with a temporary log directory deleted on {@link #close}. */
  public static EmbeddedKafka start() {
    return start(0, null);
  }

  /**
   * Starts a broker.
   *
   * @param port client port, or 0 for a free one
   * @param logDir where the broker keeps its data (kept on close, reused on the next start), or
   *     null for a temporary directory deleted on close
   */
  public static EmbeddedKafka start(int port, Path logDir) {
    return start(port, logDir, null);
  }

  /**
   * Starts a broker that requires authentication and authorizes every request by ACL ({@link
   * BrokerSecurity}); provision its users with {@code FleetUsers} through {@link #adminConfig()}.
   *
   * @param security null for a plaintext broker without an authorizer
   */
  public static EmbeddedKafka start(int port, Path logDir, BrokerSecurity security) {
    RuntimeException last = null;
    int attempts = port == 0 ? RANDOM_PORT_ATTEMPTS : 1;
    for (int i = 0; i < attempts; i++) {
      EmbeddedKafkaBroker broker = configure(port, logDir, security);
      try {
        broker.start();
        EmbeddedKafka kafka = new EmbeddedKafka(broker, security);
        kafka.awaitReady();
        return kafka;
      } catch (RuntimeException e) {
        // A free port picked at random can be taken by another process before the broker binds.
        last = e;
        broker.close();
      }
    }
    throw last;
  }

  /** {@code host:port} for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Client settings with full rights: plaintext, or the administrator of a secured broker. */
  public Map<String, Object> adminConfig() {
    return security == null
        ? Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers)
        : security.adminClient(bootstrapServers);
  }

  /** The broker's data directory. */
  public Path logDir() {
    return Path.of(broker.getLogDirs().get(0));
  }

  /** Stops the broker and, for a temporary log directory, deletes it. */
  @Override
  public void close() {
    broker.close();
  }

  private static EmbeddedKafkaBroker configure(int port, Path logDir, BrokerSecurity security) {
    EmbeddedKafkaBroker broker =
        new EmbeddedKafkaBroker()
            .withKafkaHost(HOST)
            .withKafkaPort(port)
            .withDeleteLogDirsOnClose(logDir == null)
            .withAdditionalProperties(
                props -> {
                  brokerProperties(props, logDir);
                  if (security != null) {
                    security.applyTo(props);
                  }
                });
    if (logDir != null) {
      String clusterId = existingClusterId(logDir);
      if (clusterId != null) {
        broker.withClusterId(clusterId);
      }
    }
    return broker;
  }

  /**
   * The single-node broker's settings beyond Kafka's defaults: large messages, internal topics with
   * one replica, groups formed without the initial rebalance delay. The tests' container broker
   * gets the same ({@code KafkaBrokerExtension}).
   */
  public static final Map<String, String> BROKER_SETTINGS =
      Map.of(
          "message.max.bytes", String.valueOf(MESSAGE_MAX_BYTES),
          "replica.fetch.max.bytes", String.valueOf(MESSAGE_MAX_BYTES),
          "offsets.topic.replication.factor", "1",
          "offsets.topic.num.partitions", "5",
          "transaction.state.log.replication.factor", "1",
          "transaction.state.log.min.isr", "1",
          "min.insync.replicas", "1",
          "group.initial.rebalance.delay.ms", "0",
          "share.coordinator.state.topic.replication.factor", "1",
          "share.coordinator.state.topic.min.isr", "1");

  private static void brokerProperties(Properties props, Path logDir) {
    props.putAll(BROKER_SETTINGS);
    if (logDir != null) {
      try {
        Files.createDirectories(logDir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create Kafka log directory " + logDir, e);
      }
      props.put("log.dir", logDir.toAbsolutePath().toString());
    }
  }

  /** The cluster id a formatted log directory belongs to, so that a restart keeps its data. */
  private static String existingClusterId(Path logDir) {
    Path meta = logDir.resolve("meta.properties");
    if (!Files.isRegularFile(meta)) {
      return null;
    }
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(meta)) {
      props.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + meta, e);
    }
    return props.getProperty("cluster.id");
  }

  private void awaitReady() {
    Map<String, Object> config = new HashMap<>(adminConfig());
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) READY_TIMEOUT.toMillis());
    try (Admin admin = Admin.create(config)) {
      admin
          .describeCluster(new DescribeClusterOptions().timeoutMs((int) READY_TIMEOUT.toMillis()))
          .nodes()
          .get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for the embedded broker", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "embedded broker at " + bootstrapServers + " did not answer within " + READY_TIMEOUT, e);
    }
  }
}
