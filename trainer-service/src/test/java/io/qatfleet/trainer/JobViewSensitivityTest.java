package io.qatfleet.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.event.Decision;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.ThresholdSource;
import io.qatfleet.messaging.event.ValidationCompleted;
import io.qatfleet.messaging.testing.ApprovalKeyResource;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.qatfleet.trainer.service.JobView;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The job view shows the latest validated round's per-layer sensitivity, as its report has it. */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(ApprovalKeyResource.class)
class JobViewSensitivityTest {

  @Inject JobView view;

  private static ValidationCompleted report(
      String jobId, int round, List<LayerSensitivity> sensitivity) {
    return new ValidationCompleted(
        QatEvent.newEventId(),
        jobId,
        round,
        CheckpointRef.of(new byte[] {(byte) round}),
        Instant.now(),
        Map.of("accuracy", 0.9),
        Map.of("accuracy", 0.85),
        List.of(),
        1.0,
        Decision.PASS,
        List.of(List.of(1, 0), List.of(0, 1)),
        List.of(List.of(1, 0), List.of(0, 1)),
        ThresholdSource.SPEC,
        sensitivity);
  }

  @Test
  void showsLatestRoundsSensitivityAndNoneWhenItCarriedNone() {
    String jobId = "job-" + UUID.randomUUID();
    List<LayerSensitivity> round1 =
        List.of(
            new LayerSensitivity(0, "conv0", 8, 0.001, 0.002),
            new LayerSensitivity(1, "output1", 2, 0.05, 0.2));

    view.apply(report(jobId, 1, round1));
    assertThat(view.find(jobId).orElseThrow().sensitivity()).isEqualTo(round1);

    view.apply(report(jobId, 2, null));
    assertThat(view.find(jobId).orElseThrow().sensitivity()).isEmpty();
  }
}
