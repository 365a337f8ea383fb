package io.qatfleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.cli.fleet.JobClient;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code qat status [jobId]}: the trainer's view of one job ({@code GET /jobs/{id}}: stage, round,
 * latest progress, decision, metrics per round) as a few lines, or of every job as {@code qat list}
 * shows them. {@code --json} prints the view as the trainer sent it.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Show one job of a running fleet, or all of them.")
final class StatusCommand extends FleetCommand {
  @Parameters(index = "0", arity = "0..1", paramLabel = "JOB_ID", description = "The job.")
  String jobId;

  @Option(names = "--json", description = "Print the trainer's JSON as is.")
  boolean json;

  @Mixin FleetOptions.Trainer trainer;

  @Override
  int run(PrintWriter out) {
    JobClient client = trainer.client();
    JsonNode view = jobId == null ? client.jobs() : client.job(jobId);
    if (json) {
      out.println(view.toPrettyString());
    } else if (jobId == null) {
      out.print(ListCommand.table(view));
    } else {
      out.print(summary(view));
    }
    return 0;
  }

  /** One job's view in a few lines: what it is doing now, and how its rounds measured. */
  static String summary(JsonNode job) {
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(Locale.ROOT, "job      %s (%s)%n", text(job, "jobId"), text(job, "name")));
    if (job.hasNonNull("owner")) {
      s.append("owner    ").append(job.get("owner").asText()).append(System.lineSeparator());
    }
    s.append(
        String.format(
            Locale.ROOT, "stage    %s, round %d%n", text(job, "stage"), job.path("round").asInt()));
    JsonNode p = job.path("progress");
    if (p.isObject()) {
      s.append(
          String.format(
              Locale.ROOT,
              "progress %s %.0f%%",
              text(p, "stage"),
              100 * p.path("progress").asDouble()));
      if (p.hasNonNull("epoch")) {
        s.append(" epoch ").append(p.get("epoch").asInt());
      }
      if (p.hasNonNull("loss")) {
        s.append(String.format(Locale.ROOT, " loss %.4f", p.get("loss").asDouble()));
      }
      if (!p.path("message").asText("").isBlank()) {
        s.append("  ").append(p.get("message").asText());
      }
      s.append(System.lineSeparator());
    }
    if (job.hasNonNull("decision")) {
      s.append("decision ").append(job.get("decision").asText());
      if (job.hasNonNull("approvedVersion")) {
        s.append(" (version ").append(job.get("approvedVersion").asInt()).append(')');
      }
      s.append(System.lineSeparator());
    }
    JsonNode bar = job.path("bar");
    if (bar.hasNonNull("source")) {
      s.append("bar      ")
          .append(bar.get("source").asText())
          .append(' ')
          .append(bar.path("thresholds"))
          .append(System.lineSeparator());
    }
    JsonNode approval = job.path("approval");
    if (approval.isObject()) {
      s.append(
          String.format(
              Locale.ROOT,
              "approval %s v%d %s%n",
              text(approval, "modelName"),
              approval.path("version").asInt(),
              approval.path("verified").asBoolean()
                  ? "signature verified (key " + text(approval, "keyId") + ")"
                  : "NOT ACCEPTED: " + text(approval, "problem")));
    }
    if (job.path("floatMetrics").size() > 0) {
      s.append("float    ").append(metrics(job.get("floatMetrics"))).append(System.lineSeparator());
    }
    Map<Integer, JsonNode> rounds = new TreeMap<>();
    job.path("roundMetrics")
        .fields()
        .forEachRemaining(e -> rounds.put(round(e.getKey()), e.getValue()));
    rounds.forEach(
        (r, m) -> s.append(String.format(Locale.ROOT, "round %-2d %s%n", r, metrics(m))));
    s.append("updated  ").append(text(job, "updated")).append(System.lineSeparator());
    return s.toString();
  }

  private static int round(String key) {
    try {
      return Integer.parseInt(key);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String metrics(JsonNode m) {
    StringBuilder s = new StringBuilder();
    toMap(m)
        .forEach(
            (k, v) ->
                s.append(s.length() == 0 ? "" : "  ")
                    .append(String.format(Locale.ROOT, "%s %.4f", k, v.asDouble())));
    return s.toString();
  }

  private static Map<String, JsonNode> toMap(JsonNode m) {
    Map<String, JsonNode> out = new TreeMap<>();
    m.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? "-" : v.asText();
  }
}
