package io.qatfleet.bench;

import static io.qatfleet.bench.BenchEvents.approvedJob;
import static io.qatfleet.bench.BenchEvents.failed;
import static io.qatfleet.bench.BenchEvents.submitted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.qatfleet.messaging.event.QatEvent;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThroughputTest {
  @Test
  void countsApprovedJobsFromTheFirstSubmissionToTheLastApproval() {
    // submitted at 0 and 1 s, approved at 192 and 193 s... of the second job's clock: 1 + 192
    Throughput t = Throughput.of(List.of(approvedJob("a", 0), approvedJob("b", 1)));

    assertThat(t.submitted()).isEqualTo(2);
    assertThat(t.approved()).isEqualTo(2);
    assertThat(t.span()).isEqualTo(Duration.ofSeconds(193));
    assertThat(t.jobsPerHour()).isCloseTo(2 * 3600.0 / 193, within(1e-9));
  }

  @Test
  void leavesFailedJobsOutOfTheCountButNotOutOfTheBatch() {
    List<QatEvent> failedJob = List.of(submitted("b", 0), failed("b", 1, 500));

    Throughput t = Throughput.of(List.of(approvedJob("a", 10), failedJob));

    assertThat(t.approved()).isEqualTo(1);
    assertThat(t.submitted()).isEqualTo(2);
    assertThat(t.span()).isEqualTo(Duration.ofSeconds(202));
  }

  @Test
  void hasNoRateWhenNothingWasApproved() {
    Throughput t = Throughput.of(List.of(List.of(submitted("a", 0), failed("a", 1, 60))));

    assertThat(t.approved()).isZero();
    assertThat(t.jobsPerHour()).isNaN();
  }
}
