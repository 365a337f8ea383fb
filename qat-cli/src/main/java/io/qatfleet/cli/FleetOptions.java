package io.qatfleet.cli;

import io.qatfleet.cli.fleet.JobClient;
import io.qatfleet.cli.fleet.LocalAuth;
import io.qatfleet.cli.fleet.RunningFleet;
import io.qatfleet.messaging.approval.ApprovalKeys;
import io.qatfleet.messaging.approval.ApprovalSignature;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Where the running fleet is, as picocli mixins: the trainer's job API for the commands that use
 * HTTP, the Kafka bootstrap address for those that read or write topics. Each comes from its
 * option, else from the environment variable the services read too, else from the fleet {@code qat
 * up} started ({@link RunningFleet#find()}), else from the fixed local default.
 */
final class FleetOptions {
  private FleetOptions() {}

  /** The fleet {@code qat up} left running, if its file says there is one. */
  private static Optional<RunningFleet> upFleet() {
    try {
      return RunningFleet.find();
    } catch (IllegalStateException e) {
      throw new CliFailure(e.getMessage());
    }
  }

  /** {@code --repo DIR}: where the packaged services are, for the commands that start a fleet. */
  static final class Repo {
    @Option(
        names = "--repo",
        paramLabel = "DIR",
        description = "Repository root holding the packaged services (default: QAT_HOME or .).")
    Path repo = Path.of(System.getenv().getOrDefault("QAT_HOME", "."));

    Path root() {
      return repo.toAbsolutePath();
    }
  }

  /** {@code --trainer URL} and {@code --token JWT}: the trainer's job API and who calls it. */
  static final class Trainer {
    @Option(
        names = "--trainer",
        paramLabel = "URL",
        defaultValue = "${env:QAT_TRAINER_URL}",
        description =
            "The trainer's job API (env QAT_TRAINER_URL; default: the `qat up` fleet's, else "
                + DEFAULT_TRAINER
                + ").")
    String url;

    static final String DEFAULT_TRAINER = "http://localhost:8081";

    /** The job API's address: the option, the environment, the `qat up` fleet, the default. */
    String url() {
      if (url != null && !url.isBlank()) {
        return url;
      }
      return upFleet().map(RunningFleet::trainerUrl).orElse(DEFAULT_TRAINER);
    }

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
      return new JobClient(url(), bearer);
    }
  }

  /** {@code --bootstrap HOST:PORT}: the fleet's Kafka. */
  static final class Kafka {
    @Option(
        names = "--bootstrap",
        paramLabel = "HOST:PORT",
        defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS}",
        description =
            "Kafka bootstrap servers (env KAFKA_BOOTSTRAP_SERVERS; default: the `qat up` fleet's,"
                + " else "
                + DEFAULT_BOOTSTRAP
                + ").")
    String bootstrap;

    static final String DEFAULT_BOOTSTRAP = "localhost:9092";

    /** The bootstrap servers: the option, the environment, the `qat up` fleet, the default. */
    String bootstrap() {
      if (bootstrap != null && !bootstrap.isBlank()) {
        return bootstrap;
      }
      return upFleet().map(RunningFleet::bootstrapServers).orElse(DEFAULT_BOOTSTRAP);
    }

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
        return KafkaClientSettings.fromFile(bootstrap(), config, "qat-cli");
      } catch (IOException e) {
        throw new CliFailure("cannot read --kafka-config " + config + ": " + e.getMessage());
      }
    }
  }

  /**
   * {@code --public-key FILE} or {@code --validator URL}: the key approvals are verified with. A
   * file given out of band is the trustworthy choice; the validator's {@code GET /approval-key} is
   * as trustworthy as the network it comes over.
   */
  static final class ApprovalKey {
    static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);

    @Option(
        names = "--public-key",
        paramLabel = "FILE",
        defaultValue = "${env:QAT_APPROVAL_PUBLIC_KEY_FILE}",
        description =
            "The validator's approval public key, X.509 PEM (env QAT_APPROVAL_PUBLIC_KEY_FILE);"
                + " without it (and without --validator), the `qat up` fleet's key file, else"
                + " the key fetched from the validator.")
    Path publicKey;

    @Option(
        names = "--validator",
        paramLabel = "URL",
        defaultValue = "${env:QAT_VALIDATOR_URL}",
        description =
            "The validator, whose GET /approval-key serves the public key when --public-key is"
                + " not given (env QAT_VALIDATOR_URL; default: the `qat up` fleet's, else "
                + DEFAULT_VALIDATOR
                + ").")
    String validator;

    static final String DEFAULT_VALIDATOR = "http://localhost:8083";

    /**
     * The verifier of the key from {@code --public-key}; else from {@code --validator}; else from
     * the key file of the fleet {@code qat up} started (it made the key), else from the default
     * validator.
     */
    ApprovalSignature verifier() throws InterruptedException {
      if (publicKey == null && (validator == null || validator.isBlank())) {
        Optional<RunningFleet> up = upFleet();
        if (up.isPresent()) {
          publicKey = Path.of(up.get().approvalPublicKey());
        } else {
          validator = DEFAULT_VALIDATOR;
        }
      }
      if (publicKey != null) {
        try {
          return ApprovalKeys.verifier(publicKey);
        } catch (IOException e) {
          throw new CliFailure("cannot read --public-key " + publicKey + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
          throw new CliFailure(e.getMessage());
        }
      }
      String url = validator.replaceAll("/+$", "") + "/approval-key";
      HttpResponse<String> response;
      try {
        response =
            HttpClient.newBuilder()
                .connectTimeout(FETCH_TIMEOUT)
                .build()
                .send(
                    HttpRequest.newBuilder(URI.create(url)).timeout(FETCH_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());
      } catch (IOException | IllegalArgumentException e) {
        throw new CliFailure(
            "cannot fetch the approval key from "
                + url
                + " ("
                + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage())
                + "); is the validator running? Or give --public-key FILE");
      }
      if (response.statusCode() != 200) {
        throw new CliFailure(
            "cannot fetch the approval key from " + url + ": HTTP " + response.statusCode());
      }
      ApprovalSignature verifier;
      try {
        verifier = ApprovalSignature.verifier(ApprovalKeys.parsePublic(response.body(), url));
      } catch (IllegalArgumentException e) {
        throw new CliFailure(e.getMessage());
      }
      Optional<String> claimed = response.headers().firstValue("Qat-Key-Id");
      if (claimed.isPresent() && !claimed.get().equals(verifier.keyId())) {
        throw new CliFailure(
            url + " names key " + claimed.get() + " but serves key " + verifier.keyId());
      }
      return verifier;
    }
  }
}
