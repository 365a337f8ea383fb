package io.qatfleet.cli;

import io.qatfleet.cli.fleet.JobClient;
import io.qatfleet.cli.fleet.LocalAuth;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where the running fleet is, as picocli mixins: the trainer's job API for the commands that use
 * HTTP, the Kafka bootstrap address for those that read or write topics. Defaults come from the
 * same environment variables the services read, so one shell set-up serves both.
 */
final class FleetOptions {
  private FleetOptions() {}

  /** {@code --trainer URL} and {@code --token JWT}: the trainer's job API and who calls it. */
  static final class Trainer {
    @Option(
        names = "--trainer",
        paramLabel = "URL",
        defaultValue = "${env:QAT_TRAINER_URL:-http://localhost:8081}",
        description = "The trainer's job API (env QAT_TRAINER_URL; now: ${DEFAULT-VALUE}).")
    String url;

    @Option(
        names = "--token",
        paramLabel = "JWT",
        defaultValue = "${env:QAT_TOKEN}",
        description =
            "Bearer token for the job API (env QAT_TOKEN; default: the local token that"
                + " `qat demo`, `qat run` and `qat token --save` keep).")
    String token;

    /** The job API client, sending {@code --token}, else the local token where there is one. */
    JobClient client() {
      String bearer =
          token != null && !token.isBlank() ? token : LocalAuth.local().savedToken().orElse(null);
      return new JobClient(url, bearer);
    }
  }

  /** {@code --bootstrap HOST:PORT}: the fleet's Kafka. */
  static final class Kafka {
    @Option(
        names = "--bootstrap",
        paramLabel = "HOST:PORT",
        defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}",
        description =
            "Kafka bootstrap servers (env KAFKA_BOOTSTRAP_SERVERS; now: ${DEFAULT-VALUE}).")
    String bootstrap;

    @Option(
        names = "--kafka-config",
        paramLabel = "FILE",
        defaultValue = "${env:QAT_KAFKA_CONFIG}",
        description =
            "Kafka client properties (security.protocol, sasl.*, ssl.*, ...) for a secured"
                + " cluster, Kafka's own client properties format (env QAT_KAFKA_CONFIG).")
    Path config;

    /** The settings of every Kafka client this command opens. */
    KafkaClientSettings settings() {
      try {
        return KafkaClientSettings.fromFile(bootstrap, config, "qat-cli");
      } catch (IOException e) {
        throw new CliFailure("cannot read --kafka-config " + config + ": " + e.getMessage());
      }
    }
  }
}
