package io.qatfleet.cli;

import io.qatfleet.messaging.kafka.KafkaClientSettings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;

/**
 * Checks that the fleet's Kafka answers before a command builds its clients: a Kafka client facing
 * an absent broker retries and logs for minutes, where the user wants one line saying which address
 * did not answer. Also keeps the clients' own logging to errors, since the CLI reports for them.
 */
public final class KafkaAccess {
  /** How long a broker may take to answer a metadata request before we call it unreachable. */
  static final Duration REACH_TIMEOUT = Duration.ofSeconds(5);

  private static final String KAFKA_LOG_LEVEL = "org.slf4j.simpleLogger.log.org.apache.kafka";

  private KafkaAccess() {}

  /** Throws a {@link CliFailure} naming the bootstrap servers unless a broker there answers. */
  static void requireReachable(KafkaClientSettings clients) throws InterruptedException {
    quietClientLogs();
    String unreachable = "cannot reach Kafka at " + clients.bootstrapServers();
    Admin admin;
    try {
      admin =
          clients.admin(
              "reach",
              Map.of(
                  AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                  (int) REACH_TIMEOUT.toMillis(),
                  AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                  (int) REACH_TIMEOUT.toMillis()));
    } catch (KafkaException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new CliFailure(unreachable + ": " + cause.getMessage());
    }
    try {
      admin
          .describeCluster(new DescribeClusterOptions().timeoutMs((int) REACH_TIMEOUT.toMillis()))
          .nodes()
          .get(REACH_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new CliFailure(
          unreachable
              + ": no broker answered within "
              + REACH_TIMEOUT.toSeconds()
              + " s (is the fleet running?)");
    } finally {
      admin.close(Duration.ZERO);
    }
  }

  /** Kafka clients log connection retries at WARN; the CLI reports failures itself. */
  public static void quietClientLogs() {
    if (System.getProperty(KAFKA_LOG_LEVEL) == null) {
      System.setProperty(KAFKA_LOG_LEVEL, "error");
    }
  }
}
