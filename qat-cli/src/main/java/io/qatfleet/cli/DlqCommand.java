package io.qatfleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.deadletter.DeadLetterTopic;
import io.qatfleet.messaging.deadletter.RejectionReason;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code qat dlq}: the operators' view of {@code qat.dlq}. {@code list} reads the topic itself
 * ({@code read_committed}, with {@code --bootstrap} and {@code --kafka-config} like every command
 * that reads Kafka) and prints one line per dead letter; {@code replay} asks the trainer's job API
 * to write a letter's original record back to its work topic, sealed by the fleet (only the trainer
 * holds the fleet's event key; an operator token is needed, and letters whose original was not
 * sealed by the fleet are refused).
 */
@Command(
    name = "dlq",
    mixinStandardHelpOptions = true,
    description = "List dead letters (qat.dlq) and replay them (operators).",
    subcommands = {DlqCommand.ListLetters.class, DlqCommand.Replay.class})
final class DlqCommand {

  /** Longest text of a letter on its line; the rest is cut with "...". */
  static final int MAX_TEXT = 300;

  /** {@code qat dlq list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description =
          "One line per dead letter, oldest first: time, id, job, source topic, reason, text.")
  static final class ListLetters extends FleetCommand {
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    @Option(names = "--job", paramLabel = "ID", description = "Only this job's letters.")
    String job;

    @Option(
        names = "--reason",
        paramLabel = "R",
        description = "Only letters of this reason (e.g. POISON_PILL, CHECKPOINT_NOT_FOUND).")
    String reason;

    @Option(
        names = "--limit",
        paramLabel = "N",
        defaultValue = "50",
        description = "At most the N newest letters (now: ${DEFAULT-VALUE}).")
    int limit;

    @Mixin FleetOptions.Kafka kafka;

    @Override
    int run(PrintWriter out) throws InterruptedException {
      if (limit < 1) {
        throw new ParameterException(
            spec.commandLine(), "--limit must be at least 1, got " + limit);
      }
      String wanted = reason == null ? null : reason.toUpperCase(Locale.ROOT);
      if (wanted != null) {
        try {
          RejectionReason.valueOf(wanted);
        } catch (IllegalArgumentException e) {
          throw new ParameterException(
              spec.commandLine(),
              "--reason must be one of "
                  + Arrays.toString(RejectionReason.values())
                  + ", got "
                  + reason);
        }
      }
      KafkaClientSettings clients = kafka.settings();
      KafkaAccess.requireReachable(clients);
      List<DeadLetter> selected;
      try {
        selected =
            DeadLetterTopic.newest(
                clients,
                "dlq-list",
                READ_TIMEOUT,
                new EventCodec(),
                l ->
                    (job == null || job.equals(l.jobId()))
                        && (wanted == null || wanted.equals(l.errorType())),
                limit);
      } catch (TimeoutException e) {
        throw new CliFailure(e.getMessage() + " at " + clients.bootstrapServers());
      }
      if (selected.isEmpty()) {
        out.println("no dead letters");
      }
      selected.forEach(letter -> out.println(line(letter)));
      return 0;
    }
  }

  /** {@code qat dlq replay <eventId>}. */
  @Command(
      name = "replay",
      mixinStandardHelpOptions = true,
      description =
          "Write a dead letter's original record back to its work topic, sealed by the trainer"
              + " (operator token needed).")
  static final class Replay extends FleetCommand {
    @Parameters(index = "0", paramLabel = "EVENT_ID", description = "The dead letter's id.")
    String eventId;

    @Mixin FleetOptions.Trainer trainer;

    @Override
    int run(PrintWriter out) {
      JsonNode written = trainer.client().replayDeadLetter(eventId);
      out.println(
          "replayed "
              + eventId
              + " to "
              + written.path("topic").asText()
              + "-"
              + written.path("partition").asInt()
              + "@"
              + written.path("offset").asLong());
      return 0;
    }
  }

  private DlqCommand() {}

  /** One letter's line: time, id, job, source topic, reason, text (on one line, cut). */
  static String line(DeadLetter letter) {
    String text = letter.reason().replaceAll("\\s+", " ").strip();
    if (text.length() > MAX_TEXT) {
      text = text.substring(0, MAX_TEXT) + "...";
    }
    return String.join(
        "  ",
        letter.timestamp().toString(),
        letter.eventId(),
        letter.jobId(),
        letter.sourceTopic(),
        letter.errorType(),
        text);
  }
}
