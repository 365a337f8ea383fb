package io.qatfleet.validator.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.event.Decision;
import io.qatfleet.messaging.stage.StageLedger;
import io.qatfleet.validator.service.JobRecords.Baseline;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobRecordsTest {

  @TempDir Path dir;

  @Test
  void keepsBaselineAndRoundsAcrossRestart() {
    CheckpointRef a = CheckpointRef.of(new byte[] {1});
    CheckpointRef b = CheckpointRef.of(new byte[] {2});
    JobRecords before = new JobRecords(new StageLedger(dir));
    before.saveBaseline(
        "job-1", new Baseline(Map.of("accuracy", 0.84), a, List.of(List.of(5, 1), List.of(2, 4))));
    before.saveRound(
        "job-1", new RoundResult(1, Decision.RETRAIN, Map.of("accuracy", 0.80), 0.999, a, b));
    before.saveRound(
        "job-1", new RoundResult(3, Decision.RETRAIN, Map.of("accuracy", 0.82), 1.0, b, a));

    JobRecords after = new JobRecords(new StageLedger(dir));

    assertThat(after.hasBaseline("job-1")).isTrue();
    assertThat(after.baseline("job-1"))
        .contains(new Baseline(Map.of("accuracy", 0.84), a, List.of(List.of(5, 1), List.of(2, 4))));
    assertThat(after.isValidated("job-1", 1)).isTrue();
    assertThat(after.isValidated("job-1", 2)).isFalse();
    assertThat(after.rounds("job-1", 3)).extracting(RoundResult::round).containsExactly(1, 3);
    assertThat(after.rounds("job-1", 2)).extracting(RoundResult::accuracy).containsExactly(0.80);
    assertThat(after.hasBaseline("job-2")).isFalse();
    assertThat(after.baseline("job-2")).isEmpty();
  }
}
