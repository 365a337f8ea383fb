package io.qatfleet.bench;

import io.qatfleet.cli.fleet.EventTail;
import io.qatfleet.messaging.event.FloatCheckpointReady;
import io.qatfleet.messaging.event.JobCancelled;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QuantizedModelReady;
import io.qatfleet.messaging.event.ValidationCompleted;
import io.qatfleet.messaging.topic.Topics;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code qat bench chaos} found, from the events the fleet wrote (read {@code read_committed},
 * as every reader of the fleet): jobs finished and lost, duplicated round outcomes and approvals,
 * the faults with their recovery times, the hostile inputs with their outcomes. Renders {@code
 * docs/benchmarks/reliability.md}.
 */
final class ReliabilityReport {

  /** One injected fault and how long the fleet took to be whole again. */
  record Fault(String kind, String target, double atSeconds, double recoverySeconds) {}

  /** One hostile input, what was expected and what happened. */
  record Hostile(String input, String expected, String observed, boolean asExpected) {}

  /** The tally of the jobs' events. */
  record Tally(
      int submitted,
      int approved,
      int failed,
      int lost,
      int duplicateRoundOutcomes,
      int duplicateApprovals,
      int versionCollisions) {

    int finished() {
      return approved + failed;
    }
  }

  private ReliabilityReport() {}

  /** Counts, per job, what it ended with and what it saw more than once. */
  static Tally tally(List<String> jobIds, List<EventTail.Seen> seen) {
    int approved = 0;
    int failed = 0;
    int lost = 0;
    int duplicateRounds = 0;
    int duplicateApprovals = 0;
    Map<String, String> versionOwner = new HashMap<>();
    int collisions = 0;
    for (String job : jobIds) {
      Map<String, Integer> outcomes = new HashMap<>();
      int approvals = 0;
      boolean ended = false;
      for (EventTail.Seen s : seen) {
        if (!s.event().jobId().equals(job)) {
          continue;
        }
        String key = null;
        if (s.event() instanceof FloatCheckpointReady f && !f.baseline()) {
          key = "qat round " + f.round();
        } else if (s.event() instanceof FloatCheckpointReady f) {
          key = "baseline";
        } else if (s.event() instanceof QuantizedModelReady q) {
          key = "quantized round " + q.round();
        } else if (s.event() instanceof ValidationCompleted v) {
          key = "validated round " + v.round();
        } else if (s.event() instanceof ModelApproved a && s.topic().equals(Topics.DEPLOY)) {
          approvals++;
          ended = true;
          String owner = versionOwner.putIfAbsent(a.modelName() + ":" + a.version(), job);
          if (owner != null && !owner.equals(job)) {
            collisions++;
          }
        } else if (s.event() instanceof JobFailed || s.event() instanceof JobCancelled) {
          ended = true;
        }
        if (key != null) {
          outcomes.merge(key + " from " + s.topic(), 1, Integer::sum);
        }
      }
      duplicateRounds += outcomes.values().stream().mapToInt(n -> n - 1).sum();
      duplicateApprovals += Math.max(0, approvals - 1);
      if (approvals > 0) {
        approved++;
      } else if (ended) {
        failed++;
      } else {
        lost++;
      }
    }
    return new Tally(
        jobIds.size(), approved, failed, lost, duplicateRounds, duplicateApprovals, collisions);
  }

  static String markdown(
      Tally tally,
      List<Fault> faults,
      List<Hostile> hostile,
      List<String> servicesAlive,
      List<String> servicesDead,
      int supervisorRestarts,
      String jobDescription,
      double wallSeconds) {
    StringBuilder out = new StringBuilder();
    out.append("## Outcome\n\n");
    MarkdownTable outcome = new MarkdownTable("", "count", "note");
    outcome.row("jobs submitted", Integer.toString(tally.submitted()), "");
    outcome.row(
        "jobs finished",
        Integer.toString(tally.finished()),
        tally.approved() + " approved, " + tally.failed() + " failed their bar or were stopped");
    outcome.row("jobs lost", Integer.toString(tally.lost()), "goal 0");
    outcome.row(
        "duplicate approvals",
        Integer.toString(tally.duplicateApprovals()),
        "goal 0 (a job approved more than once on qat.deploy)");
    outcome.row(
        "model versions given to two jobs", Integer.toString(tally.versionCollisions()), "goal 0");
    outcome.row(
        "duplicate round outcomes",
        Integer.toString(tally.duplicateRoundOutcomes()),
        "outcome events of a (job, round, stage) seen more than once; the next stage skips them"
            + " by its ledger");
    outcome.row("faults injected", Integer.toString(faults.size()), "goal at least 20");
    outcome.row(
        "restarts by the supervisor",
        Integer.toString(supervisorRestarts),
        "a service found dead or not live, restarted as a liveness probe would");
    outcome.row(
        "services alive at the end",
        servicesAlive.size() + " of " + (servicesAlive.size() + servicesDead.size()),
        servicesDead.isEmpty() ? "" : "not alive: " + String.join(", ", servicesDead));
    outcome.row("wall time", String.format(Locale.ROOT, "%.0f s", wallSeconds), "");
    out.append(outcome.render()).append('\n');
    out.append("Jobs: ").append(jobDescription).append("\n\n");

    out.append("## Faults\n\n");
    MarkdownTable faultTable =
        new MarkdownTable("fault", "target", "at (s)", "recovered after (s)");
    for (Fault f : faults) {
      faultTable.row(
          f.kind(),
          f.target(),
          String.format(Locale.ROOT, "%.0f", f.atSeconds()),
          String.format(Locale.ROOT, "%.1f", f.recoverySeconds()));
    }
    out.append(faultTable.render()).append('\n');
    if (!faults.isEmpty()) {
      Stats recovery = Stats.of(faults.stream().map(Fault::recoverySeconds).toList());
      out.append(
          String.format(
              Locale.ROOT,
              "Time to recover: median %.1f s, max %.1f s (a service: until it answers ready"
                  + " again; the broker: until it is back and every service is live).%n%n",
              recovery.median(),
              recovery.max()));
    }

    out.append("## Hostile input\n\n");
    MarkdownTable hostileTable = new MarkdownTable("input", "expected", "observed", "as expected");
    for (Hostile h : hostile) {
      hostileTable.row(h.input(), h.expected(), h.observed(), h.asExpected() ? "yes" : "**NO**");
    }
    out.append(hostileTable.render()).append('\n');
    return out.toString();
  }

  /** Whether the run met its goals: nothing lost or approved twice, all alive, all refused. */
  static boolean passed(
      Tally tally, List<Hostile> hostile, List<String> servicesDead, int faults, int minFaults) {
    return tally.lost() == 0
        && tally.duplicateApprovals() == 0
        && tally.versionCollisions() == 0
        && servicesDead.isEmpty()
        && faults >= minFaults
        && hostile.stream().allMatch(Hostile::asExpected);
  }
}
