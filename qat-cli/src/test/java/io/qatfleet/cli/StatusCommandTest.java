package io.qatfleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.core.json.Json;
import org.junit.jupiter.api.Test;

/** The few lines {@code qat status <jobId>} makes of the trainer's job view. */
class StatusCommandTest {
  @Test
  void summarisesStageDecisionAndMetricsPerRound() throws Exception {
    JsonNode view =
        Json.MAPPER.readTree(
            """
            {"jobId": "j1", "name": "fmnist", "stage": "validation", "round": 2,
             "progress": {"stage": "validation", "progress": 1.0, "message": "done"},
             "floatMetrics": {"accuracy": 0.9},
             "roundMetrics": {"1": {"accuracy": 0.8}, "2": {"accuracy": 0.895}},
             "decision": "approved", "approvedVersion": 3,
             "updated": "2024-01-01T00:00:00Z", "history": []}
            """);

    String text = StatusCommand.summary(view);

    assertThat(text)
        .contains("j1 (fmnist)")
        .contains("validation, round 2")
        .contains("approved (version 3)")
        .contains("float    accuracy 0.9000")
        .contains("round 1  accuracy 0.8000")
        .contains("round 2  accuracy 0.8950");
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
}
