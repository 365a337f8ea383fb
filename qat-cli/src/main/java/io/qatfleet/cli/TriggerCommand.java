package io.qatfleet.cli;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.RetrainTriggered;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.topic.Topics;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code qat trigger <model> --reason …}: asks the fleet to retrain a registered model by producing
 * a {@link RetrainTriggered} on {@code qat.triggers}, keyed by the model name. The job id is a new
 * UUID chosen here (so a retried trigger cannot start two jobs); it is printed once the broker has
 * acknowledged the record, ready for {@code qat follow}.
 */
@Command(
    name = "trigger",
    mixinStandardHelpOptions = true,
    description = "Ask the fleet to retrain a registered model; prints the new job id.")
final class TriggerCommand extends FleetCommand {
  private static final Duration ACK_TIMEOUT = Duration.ofSeconds(15);

  @Parameters(index = "0", paramLabel = "MODEL", description = "The model's name (its job name).")
  String model;

  @Option(
      names = "--reason",
      required = true,
      description = "Why: ${COMPLETION-CANDIDATES} (any case).")
  RetrainTriggered.Reason reason;

  @Option(names = "--message", description = "A note for people reading the job's history.")
  String message = "";

  @Mixin FleetOptions.Kafka kafka;

  @Override
  int run(PrintWriter out) throws InterruptedException {
    if (!model.matches("[A-Za-z0-9._-]{1,100}")) {
      throw new ParameterException(
          spec.commandLine(),
          "MODEL must be 1-100 characters of [A-Za-z0-9._-], got '" + model + "'");
    }
    RetrainTriggered trigger =
        new RetrainTriggered(
            QatEvent.newEventId(),
            UUID.randomUUID().toString(),
            0,
            null,
            Instant.now(),
            model,
            reason,
            message);
    KafkaClientSettings clients = kafka.settings();
    KafkaAccess.requireReachable(clients);
    try (KafkaProducer<String, byte[]> producer =
        clients.producer(
            "trigger", new StringSerializer(), new ByteArraySerializer(), producerConfig())) {
      producer
          .send(new ProducerRecord<>(Topics.TRIGGERS, model, new EventCodec().encode(trigger)))
          .get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new CliFailure(
          "cannot write the trigger to "
              + Topics.TRIGGERS
              + " at "
              + clients.bootstrapServers()
              + ": "
              + e.getCause().getMessage());
    } catch (TimeoutException e) {
      throw new CliFailure(
          "no acknowledgement from Kafka at "
              + clients.bootstrapServers()
              + " within "
              + ACK_TIMEOUT.toSeconds()
              + " s");
    }
    out.println(trigger.jobId());
    return 0;
  }

  /**
   * Waits at most {@link #ACK_TIMEOUT} in all. Kafka requires {@code delivery.timeout.ms >=
   * linger.ms + request.timeout.ms}, so the request gets what is left after the linger.
   */
  static Map<String, Object> producerConfig() {
    int timeout = (int) ACK_TIMEOUT.toMillis();
    Map<String, Object> config = new HashMap<>(KafkaClientSettings.durableProducer());
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, timeout);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeout);
    return config;
  }
}
