package io.qatfleet.bench;

import static io.qatfleet.bench.BenchEvents.approvedJob;
import static io.qatfleet.bench.BenchEvents.approvedJobWithPtq;
import static io.qatfleet.bench.BenchEvents.failed;
import static io.qatfleet.bench.BenchEvents.submitted;
import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.bench.FleetRun.TrainerShare;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.event.QatEvent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FleetReportTest {
  @Test
  void describesTheJobInOneLine() {
    JobSpec job =
        JobSpec.fromJson(
            """
            {"name": "bench", "data": {"trainLimit": 2000, "calibrationSize": 500},
             "quantization": {"weightBits": 4, "activationBits": 4},
             "training": {"floatEpochs": 1, "qatEpochs": 1}, "maxRounds": 1}
            """);

    assertThat(FleetReport.describe(job, "tiny.json"))
        .isEqualTo(
            "`bench` (tiny.json): fashion-mnist, train limit 2000, test limit all, calibration 500"
                + " images; cnn; W4A4 (first/last 8-bit) lsq_pact; float 1, QAT 1, calibration 1"
                + " epoch(s), up to 1 round(s)");
  }

  @Test
  void rendersTheStageSplitOfEveryJobAndJobsPerHourAgainstTheFirstFleet() {
    Map<String, List<QatEvent>> one = new LinkedHashMap<>();
    one.put("a", approvedJob("a", 0));
    one.put("b", approvedJob("b", 1));
    Map<String, List<QatEvent>> two = new LinkedHashMap<>();
    two.put("c", approvedJob("c", 0));
    two.put("d", List.of(submitted("d", 0), failed("d", 1, 50)));
    List<FleetRun> runs =
        List.of(
            new FleetRun(
                1, 20, List.of("a", "b"), one, List.of(new TrainerShare("trainer-service", 2, 2))),
            new FleetRun(
                2,
                31,
                List.of("c", "d"),
                two,
                List.of(
                    new TrainerShare("trainer-service", 1, 1),
                    new TrainerShare("trainer-service-2", -1, -1))));

    String report =
        FleetReport.markdown("`job`", 2, runs, 2, "TensorFlow threads: intra-op 1", false);

    assertThat(report)
        .contains("Job: `job`; 2 submitted at once to each fleet.")
        .contains(
            "| 1 | 1 | 1 | 192.0 | 145.0 (75.5 %) | 6.5 (3.4 %) | 15.0 (7.8 %) | 25.5 (13.3 %) |"
                + " 8.0 (float baseline evaluation 8.0) |")
        .contains("| 2 | 2 | — | not approved | — | — | — | — | — |")
        .contains("other 13.3 (13.3–13.3) %")
        .contains("| trainers | job | trainer s | quantizer s | validator s | between stages s |")
        .contains("| 1 | 2 | 15.0 | 3.5 | 5.0 | 2.0 | 25.5 |")
        .contains("not a verdict: with 2 jobs at once")
        .contains(
            "| 1 (baseline) | 2 / 2 | 193.0 | 37.3 | 1.00× | 192.0 (192.0–192.0) |"
                + " trainer-service: 2 + 2 | 20 |")
        .contains(
            "| 2 | 1 / 2 | 192.0 | 18.8 | 0.50× | 192.0 | trainer-service: 1 + 1,"
                + " trainer-service-2: ? | 31 |")
        .contains("this machine has 2; TensorFlow threads: intra-op 1, in every service")
        .doesNotContain("pinned");
    assertThat(FleetReport.markdown("`job`", 2, runs, 2, "TensorFlow threads: intra-op 2", true))
        .contains("this machine has 2; every trainer instance is pinned to one CPU")
        .contains("not pinned and run on every core\n  (TensorFlow threads: intra-op 2)");
  }

  @Test
  void givesTheOverheadVerdictForAJobAlone() {
    Map<String, List<QatEvent>> one = Map.of("a", approvedJob("a", 0));
    String report =
        FleetReport.markdown(
            "`job`",
            1,
            List.of(new FleetRun(1, 20, List.of("a"), one, List.of())),
            2,
            "threads",
            false);

    assertThat(report).contains("Median here: 13.3 %; not met.");
  }

  @Test
  void reportsRoundZeroBesideTheCriticalPathAndNotInOther() {
    Map<String, List<QatEvent>> one = Map.of("a", approvedJobWithPtq("a", 0));
    String report =
        FleetReport.markdown(
            "`job`",
            1,
            List.of(new FleetRun(1, 20, List.of("a"), one, List.of())),
            2,
            "threads",
            false);

    assertThat(report)
        .contains(
            "| 1 | 1 | 1 | 192.0 | 145.0 (75.5 %) | 6.5 (3.4 %) | 15.0 (7.8 %) | 25.5 (13.3 %) |"
                + " 59.0 (quantize round 0 21.0, validate round 0 30.0, float baseline evaluation"
                + " 8.0) |")
        .contains("| 1 | 1 | 15.0 | 3.5 | 5.0 | 2.0 | 25.5 |")
        .contains(
            "- 1 trainer(s), job 1: baseline 0.0–100.0 (90.0), qat round 1 101.0–161.0 (55.0),"
                + " quantize round 1 161.0–171.0 (6.5), validate round 1 171.0–191.0 (15.0);"
                + " approved at 192.0");
  }
}
