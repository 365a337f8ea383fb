package io.qatfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.core.json.Json;
import org.junit.jupiter.api.Test;

/** The few lines {@code qat status <jobId>} makes of the trainer's job view. */
class StatusCommandTest {
  @Test
  void summarisesStageProgressAndOverallMetricsPerRound() throws Exception {
    JsonNode view =
        Json.MAPPER.readTree(
            """
            {"jobId": "j1", "name": "fmnist", "stage": "validation", "round": 2,
             "progress": {"stage": "validation", "round": 2, "progress": 0.5, "message": "half"},
             "floatMetrics": {"accuracy": 0.9, "macroF1": 0.88, "f1.0": 0.7},
             "roundMetrics": {"1": {"accuracy": 0.8, "f1.0": 0.6}, "2": {"accuracy": 0.895}},
             "decision": "retrain",
             "updated": "2024-01-01T00:00:00Z", "history": []}
            """);

    String text = StatusCommand.summary(view);

    assertThat(text)
        .contains("j1 (fmnist)")
        .contains("validation, round 2")
        .contains("progress validation round 2: 50%  half")
        .contains("decision retrain")
        // one row per model, one column per overall metric; per-class ones stay out
        .containsPattern("model +accuracy +macroF1\\R")
        .containsPattern("float +0\\.9000 +0\\.8800\\R")
        .containsPattern("round 1 +0\\.8000 +—\\R")
        .containsPattern("round 2 +0\\.8950 +—\\R")
        .doesNotContain("f1.0")
        .doesNotContain("per class");
  }

  @Test
  void showsHowAnEndedJobEndedInsteadOfItsLastProgress() throws Exception {
    JsonNode approved =
        Json.MAPPER.readTree(
            """
            {"jobId": "j3", "name": "fmnist", "stage": "approved", "round": 1,
             "progress": {"stage": "validation", "round": 1, "progress": 0.0,
                          "message": "validating round 1"},
             "decision": "pass", "approvedVersion": 3,
             "updated": "2024-01-01T00:00:00Z", "history": []}
            """);
    JsonNode failed =
        Json.MAPPER.readTree(
            """
            {"jobId": "j4", "name": "fmnist", "stage": "failed", "round": 2,
             "progress": {"stage": "qat", "round": 2, "progress": 0.3},
             "decision": "reject", "updated": "2024-01-01T00:00:00Z",
             "history": [{"type": "JobFailed", "round": 2, "stage": "failed",
                          "message": "cancelled by ann: wrong data"}]}
            """);

    assertThat(StatusCommand.summary(approved))
        .contains("outcome  approved as version 3")
        .doesNotContain("progress")
        .doesNotContain("validating round 1");
    assertThat(StatusCommand.summary(failed))
        .contains("outcome  failed: cancelled by ann: wrong data")
        .doesNotContain("progress");
  }

  @Test
  void showsPerClassMetricsAsTheirOwnTableWhenAsked() throws Exception {
    JsonNode view =
        Json.MAPPER.readTree(
            """
            {"jobId": "j5", "name": "fmnist", "stage": "validated", "round": 1,
             "floatMetrics": {"accuracy": 0.9, "precision.0": 0.5, "recall.0": 0.25, "f1.0": 0.125,
                              "precision.1": 1.0, "recall.1": 1.0, "f1.1": 1.0},
             "roundMetrics": {"1": {"accuracy": 0.8, "precision.0": 0.75, "recall.0": 0.5,
                                    "f1.0": 0.6, "precision.1": 0.5, "recall.1": 0.5,
                                    "f1.1": 0.5}},
             "updated": "2024-01-01T00:00:00Z", "history": []}
            """);

    String text = StatusCommand.summary(view, true);

    assertThat(text)
        .contains("round 1 per class")
        .containsPattern(
            "class +precision float +precision quantized +recall float +recall quantized"
                + " +F1 float +F1 quantized\\R")
        .containsPattern("0 +0\\.5000 +0\\.7500 +0\\.2500 +0\\.5000 +0\\.1250 +0\\.6000\\R")
        .containsPattern("1 +1\\.0000 +0\\.5000 +1\\.0000 +0\\.5000 +1\\.0000 +0\\.5000\\R");
  }

  @Test
  void namesTheBarAndARefusedApproval() throws Exception {
    JsonNode view =
        Json.MAPPER.readTree(
            """
            {"jobId": "j2", "name": "fmnist", "stage": "approval-refused", "round": 1,
             "decision": "pass", "approvedVersion": null,
             "bar": {"source": "default", "thresholds": {"accuracy": {"maxAbsDrop": 0.01}}},
             "approval": {"modelName": "fmnist", "version": 4, "keyId": "0123456789abcdef",
                          "verified": false, "problem": "BAD_SIGNATURE: forged"},
             "updated": "2024-01-01T00:00:00Z", "history": []}
            """);

    String text = StatusCommand.summary(view);

    assertThat(text)
        .contains("stage    approval-refused")
        .contains("decision pass\n")
        .contains("bar      default {\"accuracy\":{\"maxAbsDrop\":0.01}}")
        .contains("approval fmnist v4 NOT ACCEPTED: BAD_SIGNATURE: forged");
  }

  @Test
  void listsPerLayerSensitivity() throws Exception {
    JsonNode view =
        Json.MAPPER.readTree(
            """
            {"jobId": "j3", "name": "fmnist", "stage": "validated", "round": 1,
             "sensitivity": [
               {"layer": 0, "name": "conv0", "bits": 8, "accuracyDrop": 0.0005,
                "lossIncrease": 0.001},
               {"layer": 1, "name": "conv1", "bits": 2, "accuracyDrop": 0.0312,
                "lossIncrease": 0.0875}],
             "updated": "2024-01-01T00:00:00Z", "history": []}
            """);

    String text = StatusCommand.summary(view);

    assertThat(text)
        .contains("layer 0  conv0    W8 alone: accuracy -0.05 pp, loss +0.0010")
        .contains("layer 1  conv1    W2 alone: accuracy -3.12 pp, loss +0.0875");
  }
}
