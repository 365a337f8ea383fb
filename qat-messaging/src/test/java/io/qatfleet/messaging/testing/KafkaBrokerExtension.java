package io.qatfleet.messaging.testing;

import io.qatfleet.messaging.broker.EmbeddedKafka;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Gives integration tests a real Kafka broker, one per test run, shared by every test class that
 * uses {@code @ExtendWith(KafkaBrokerExtension.class)} and stopped when the run ends.
 *
 * <p>Which broker: Testcontainers' {@link KafkaContainer} when an image is named (system property
 * {@value #IMAGE_PROPERTY} or environment variable {@value #IMAGE_ENV}; an apache/kafka-compatible
 * image) and a Docker engine answers; otherwise the in-JVM {@link EmbeddedKafka} KRaft broker. The
 * choice and its reason are logged, so the test output says which broker ran.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback {

  public static final String IMAGE_PROPERTY = "qat.kafka.image";
  public static final String IMAGE_ENV = "QAT_KAFKA_IMAGE";

  private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerExtension.class);
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KafkaBrokerExtension.class);

  private static volatile Broker broker;

  /** A running broker: its address, what kind it is, and how to stop it. */
  public record Broker(String bootstrapServers, String description, AutoCloseable stopper)
      implements AutoCloseable {
    @Override
    public void close() throws Exception {
      stopper.close();
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    broker =
        context
            .getRoot()
            .getStore(NAMESPACE)
            .computeIfAbsent(Broker.class, k -> start(), Broker.class);
  }

  /**
   * The broker of this JVM, started on first use and stopped at exit: for test frameworks that do
   * not run JUnit extensions, such as a Quarkus test resource.
   */
  public static synchronized Broker shared() {
    if (broker == null) {
      Broker started = start();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      started.close();
                    } catch (Exception e) {
                      LOG.warn("stopping the test broker failed", e);
                    }
                  }));
      broker = started;
    }
    return broker;
  }

  /** {@code bootstrap.servers} of the shared broker; valid once a test class using it started. */
  public static String bootstrapServers() {
    Broker b = broker;
    if (b == null) {
      throw new IllegalStateException(
          "no broker: annotate the test class with @ExtendWith(KafkaBrokerExtension.class)");
    }
    return b.bootstrapServers();
  }

  /** Which broker runs, e.g. "embedded KRaft broker". */
  public static String description() {
    return broker == null ? "none" : broker.description();
  }

  /** Admin/producer/consumer base config pointing at the shared broker. */
  public static Map<String, Object> clientConfig() {
    return Map.of("bootstrap.servers", bootstrapServers());
  }

  private static Broker start() {
    String image = System.getProperty(IMAGE_PROPERTY, System.getenv(IMAGE_ENV));
    String whyEmbedded;
    if (image == null || image.isBlank()) {
      whyEmbedded = "no Kafka image named (" + IMAGE_PROPERTY + " / " + IMAGE_ENV + ")";
    } else if (!DockerClientFactory.instance().isDockerAvailable()) {
      whyEmbedded = "no Docker engine available for image " + image;
    } else {
      return startContainer(image);
    }
    long t0 = System.nanoTime();
    EmbeddedKafka kafka = EmbeddedKafka.start();
    String description = "embedded KRaft broker (in-JVM, Kafka's own server classes)";
    LOG.info(
        "Kafka broker for tests: {} at {}, started in {} ms; {}",
        description,
        kafka.bootstrapServers(),
        (System.nanoTime() - t0) / 1_000_000,
        whyEmbedded);
    return new Broker(kafka.bootstrapServers(), description, kafka);
  }

  @SuppressWarnings("resource")
  private static Broker startContainer(String image) {
    long t0 = System.nanoTime();
    KafkaContainer container =
        new KafkaContainer(DockerImageName.parse(image).asCompatibleSubstituteFor("apache/kafka"));
    // The embedded broker's settings, as apache/kafka-style environment: a.b.c -> KAFKA_A_B_C.
    EmbeddedKafka.BROKER_SETTINGS.forEach(
        (key, value) ->
            container.withEnv("KAFKA_" + key.toUpperCase(Locale.ROOT).replace('.', '_'), value));
    // Testcontainers copies the broker's start script into the container while the container's
    // command already waits to run it; now and then the shell runs it before the copy is closed
    // ("/tmp/testcontainers_start.sh: Text file busy", exit 126). A fresh container then starts.
    container.withStartupAttempts(3);
    container.start();
    String description = "Testcontainers Kafka container (" + image + ")";
    LOG.info(
        "Kafka broker for tests: {} at {}, started in {} ms",
        description,
        container.getBootstrapServers(),
        (System.nanoTime() - t0) / 1_000_000);
    return new Broker(container.getBootstrapServers(), description, container::stop);
  }
}
