package io.qatfleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.cli.fleet.JobClient;
import io.qatfleet.cli.report.MetricTables;
import io.qatfleet.cli.report.Table;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code qat status [jobId]}: the trainer's view of one job ({@code GET /jobs/{id}}: stage, round,
 * what it is doing now or how it ended, decision, and a table of the overall metrics per round;
 * {@code --per-class} adds each round's per-class precision, recall and F1 against the float
 * model's), or of every job as {@code qat list} shows them. {@code --json} prints the view as the
 * trainer sent it.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Show one job of a running fleet, or all of them.")
final class StatusCommand extends FleetCommand {
  /** The stages after which a job does nothing more (the trainer's JobView). */
  static final Set<String> ENDED = Set.of("approved", "failed", "cancelled", "approval-refused");

  @Parameters(index = "0", arity = "0..1", paramLabel = "JOB_ID", description = "The job.")
  String jobId;

  @Option(names = "--json", description = "Print the trainer's JSON as is.")
  boolean json;

  @Option(
      names = "--per-class",
      description = "Also each round's precision, recall and F1 per class, float vs quantized.")
  boolean perClass;

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
      out.print(summary(view, perClass));
    }
    return 0;
  }

  /** One job's view in a few lines and a table of its rounds' overall metrics. */
  static String summary(JsonNode job) {
    return summary(job, false);
  }

  /**
   * One job's view: what it is doing now (the latest progress, while that is the job's stage) or
   * how it ended, and its rounds' metrics; with {@code perClass}, a per-class table per round.
   */
  static String summary(JsonNode job, boolean perClass) {
    String nl = System.lineSeparator();
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(Locale.ROOT, "job      %s (%s)%n", text(job, "jobId"), text(job, "name")));
    if (job.hasNonNull("owner")) {
      s.append("owner    ").append(job.get("owner").asText()).append(nl);
    }
    String stage = text(job, "stage");
    s.append(
        String.format(Locale.ROOT, "stage    %s, round %d%n", stage, job.path("round").asInt()));
    JsonNode p = job.path("progress");
    if (ENDED.contains(stage)) {
      s.append("outcome  ").append(outcome(job, stage)).append(nl);
    } else if (p.isObject() && text(p, "stage").equals(stage)) {
      s.append(
          String.format(
              Locale.ROOT,
              "progress %s round %d: %.0f%%",
              stage,
              p.path("round").asInt(),
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
      s.append(nl);
    }
    if (job.hasNonNull("decision")) {
      s.append("decision ").append(job.get("decision").asText());
      if (job.hasNonNull("approvedVersion")) {
        s.append(" (version ").append(job.get("approvedVersion").asInt()).append(')');
      }
      s.append(nl);
    }
    JsonNode bar = job.path("bar");
    if (bar.hasNonNull("source")) {
      s.append("bar      ")
          .append(bar.get("source").asText())
          .append(' ')
          .append(bar.path("thresholds"))
          .append(nl);
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
    Map<String, Double> floatMetrics = numbers(job.path("floatMetrics"));
    Map<Integer, Map<String, Double>> rounds = new TreeMap<>();
    job.path("roundMetrics")
        .fields()
        .forEachRemaining(e -> rounds.put(round(e.getKey()), numbers(e.getValue())));
    if (!floatMetrics.isEmpty() || !rounds.isEmpty()) {
      s.append(nl).append(MetricTables.overall(floatMetrics, rounds).text());
    }
    if (perClass) {
      rounds.forEach(
          (r, m) -> {
            Table t = MetricTables.perClass(floatMetrics, m, List.of());
            s.append(nl).append("round ").append(r).append(" per class").append(nl);
            s.append(t.rows().isEmpty() ? "(no per-class metrics)" + nl : t.text());
          });
    }
    if (job.path("sensitivity").size() > 0) {
      s.append(nl);
    }
    for (JsonNode layer : job.path("sensitivity")) {
      s.append(
          String.format(
              Locale.ROOT,
              "layer %-2d %-8s W%d alone: accuracy %+.2f pp, loss %+.4f%s",
              layer.path("layer").asInt(),
              text(layer, "name"),
              layer.path("bits").asInt(),
              -100 * layer.path("accuracyDrop").asDouble(),
              layer.path("lossIncrease").asDouble(),
              nl));
    }
    s.append(nl).append("updated  ").append(text(job, "updated")).append(nl);
    return s.toString();
  }

  /** How an ended job ended, in words, with the reason its history gives where it failed. */
  private static String outcome(JsonNode job, String stage) {
    return switch (stage) {
      case "approved" ->
          "approved"
              + (job.hasNonNull("approvedVersion")
                  ? " as version " + job.get("approvedVersion").asInt()
                  : "");
      case "approval-refused" -> "approval refused (its signature did not verify)";
      default -> {
        String why = "";
        for (JsonNode h : job.path("history")) {
          if (h.path("type").asText().equals("JobFailed")
              || h.path("type").asText().equals("JobCancelled")) {
            why = h.path("message").asText("");
          }
        }
        yield stage + (why.isBlank() ? "" : ": " + why);
      }
    };
  }

  private static int round(String key) {
    try {
      return Integer.parseInt(key);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The numeric fields of a metric map, by name. */
  private static Map<String, Double> numbers(JsonNode m) {
    Map<String, Double> out = new TreeMap<>();
    m.fields()
        .forEachRemaining(
            e -> {
              if (e.getValue().isNumber()) {
                out.put(e.getKey(), e.getValue().asDouble());
              }
            });
    return out;
  }

  static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? "-" : v.asText();
  }
}
