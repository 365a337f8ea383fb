package io.qatfleet.cli;

import picocli.CommandLine.Option;

/**
 * Where the running fleet is, as picocli mixins: the trainer's job API for the commands that use
 * HTTP, the Kafka bootstrap address for those that read or write topics. Defaults come from the
 * same environment variables the services read, so one shell set-up serves both.
 */
final class FleetOptions {
  private FleetOptions() {}

  /** {@code --trainer URL}: the trainer's job API. */
  static final class Trainer {
    @Option(
        names = "--trainer",
        paramLabel = "URL",
        defaultValue = "${env:QAT_TRAINER_URL:-http://localhost:8081}",
        description = "The trainer's job API (env QAT_TRAINER_URL; now: ${DEFAULT-VALUE}).")
    String url;
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
  }
}
