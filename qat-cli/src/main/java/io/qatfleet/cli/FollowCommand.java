package io.qatfleet.cli;

import io.qatfleet.cli.fleet.EventTail;
import io.qatfleet.cli.fleet.JobFollower;
import io.qatfleet.cli.fleet.JobSummary;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.topic.Topics;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code qat follow <jobId>}: reads the fleet's event topics from the beginning (no consumer group,
 * so it takes no work from a service) and prints the job's progress lines until it is approved or
 * failed, then the result table. Exit code 0 when approved, 1 when failed or rejected, or when no
 * event of the job shows up within {@code --wait} seconds (an unknown job id).
 */
@Command(
    name = "follow",
    mixinStandardHelpOptions = true,
    description = "Show a job's progress until it is approved (exit 0) or failed (exit 1).")
final class FollowCommand extends FleetCommand {
  @Parameters(index = "0", paramLabel = "JOB_ID", description = "The job.")
  String jobId;

  @Option(
      names = "--wait",
      paramLabel = "SECONDS",
      description =
          "Give up when no event of the job appears this long (default: ${DEFAULT-VALUE}).")
  int waitSeconds = 60;

  @Mixin FleetOptions.Kafka kafka;

  @Override
  int run(PrintWriter out) throws InterruptedException {
    KafkaClientSettings clients = kafka.settings();
    KafkaAccess.requireReachable(clients);
    long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
    try (EventTail tail = new EventTail(clients, Topics.EVENT_TOPICS)) {
      JobSummary summary =
          JobFollower.follow(
              tail,
              jobId,
              out::println,
              () -> {
                if (System.nanoTime() > deadline && tail.ofJob(jobId).isEmpty()) {
                  throw new CliFailure(
                      "no event of job "
                          + jobId
                          + " on the topics at "
                          + clients.bootstrapServers()
                          + " within "
                          + waitSeconds
                          + " s (unknown job?)");
                }
              });
      if (!summary.finished()) {
        List<QatEvent> events = tail.ofJob(jobId).stream().map(EventTail.Seen::event).toList();
        String why = JobFollower.rejection(events).map(u -> u.message()).orElse("");
        throw new CliFailure("job " + jobId + " was rejected: " + why);
      }
      out.println();
      out.print(summary.table());
      return summary.approved().isPresent() ? 0 : 1;
    }
  }
}
