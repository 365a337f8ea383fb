package io.qatfleet.messaging.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageLedgerTest {
  @TempDir Path dir;

  @Test
  void remembersFinishedStagesAcrossInstances() {
    new StageLedger(dir).markDone("job-1", 2, "qat", "{\"event\":1}");
    StageLedger reopened = new StageLedger(dir);
    assertThat(reopened.isDone("job-1", 2, "qat")).isTrue();
    assertThat(reopened.outcome("job-1", 2, "qat")).contains("{\"event\":1}");
    assertThat(reopened.isDone("job-1", 3, "qat")).isFalse();
    assertThat(reopened.isDone("job-1", 2, "calibrate")).isFalse();
    assertThat(reopened.isDone("job-2", 2, "qat")).isFalse();
  }

  @Test
  void keepsUnsafeJobIdsInsideTheDirectory() {
    StageLedger ledger = new StageLedger(dir);
    ledger.markDone("../../etc", 0, "baseline", "x");
    assertThat(ledger.isDone("../../etc", 0, "baseline")).isTrue();
    assertThat(dir.resolve(StageLedger.safeName("../../etc")).normalize().startsWith(dir)).isTrue();
  }

  @Test
  void rejectsBadStageName() {
    assertThatThrownBy(() -> new StageLedger(dir).isDone("job", 0, "../qat"))
        .hasMessageContaining("stage");
  }
}
