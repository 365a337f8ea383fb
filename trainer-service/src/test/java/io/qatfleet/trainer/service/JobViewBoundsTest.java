package io.qatfleet.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.event.JobCancelled;
import io.qatfleet.messaging.event.JobFailed;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.trainer.service.JobView.JobSummary;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The job view keeps every running job and only the most recently ended ones. */
class JobViewBoundsTest {

  private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

  private final JobView view = new JobView(50, 2, null);

  private static JobSubmitted submitted(String jobId) {
    return new JobSubmitted(
        QatEvent.newEventId(), jobId, 0, null, T0, JobSpec.fromJson("{\"name\": \"m\"}"));
  }

  private static StatusUpdate running(String jobId) {
    return new StatusUpdate(
        QatEvent.newEventId(),
        jobId,
        1,
        null,
        T0.plusSeconds(1),
        "qat",
        0.5,
        "training",
        null,
        null,
        null);
  }

  private static JobFailed failed(String jobId) {
    return new JobFailed(
        QatEvent.newEventId(), jobId, 1, null, T0.plusSeconds(2), "no rounds left", null, null);
  }

  @Test
  void aSecondSubmissionUnderAKnownIdChangesNeitherNameNorOwner() {
    view.apply(
        new JobSubmitted(
            QatEvent.newEventId(),
            "a",
            0,
            null,
            T0,
            JobSpec.fromJson("{\"name\": \"alices-model\"}"),
            "alice"));
    view.apply(
        new JobSubmitted(
            QatEvent.newEventId(),
            "a",
            0,
            null,
            T0.plusSeconds(5),
            JobSpec.fromJson("{\"name\": \"mallorys-model\"}")));

    JobSummary job = view.find("a").orElseThrow();
    assertThat(job.name()).isEqualTo("alices-model");
    assertThat(job.owner()).isEqualTo("alice");
  }

  @Test
  void dropsLongestEndedJobsBeyondTheLimit() {
    for (String id : new String[] {"a", "b", "c"}) {
      view.apply(submitted(id));
      view.apply(failed(id));
    }

    assertThat(view.find("a")).isEmpty();
    assertThat(view.all()).extracting(JobSummary::jobId).containsExactlyInAnyOrder("b", "c");
  }

  @Test
  void keepsEveryRunningJob() {
    for (int i = 0; i < 5; i++) {
      view.apply(submitted("run-" + i));
      view.apply(running("run-" + i));
    }
    for (String id : new String[] {"a", "b", "c"}) {
      view.apply(failed(id));
    }

    assertThat(view.all())
        .extracting(JobSummary::jobId)
        .containsExactlyInAnyOrder("run-0", "run-1", "run-2", "run-3", "run-4", "b", "c");
  }

  @Test
  void countsCancelledJobsAsEnded() {
    view.apply(submitted("a"));
    view.apply(new JobCancelled(QatEvent.newEventId(), "a", 0, null, T0, "alice", "not needed"));
    view.apply(failed("b"));
    view.apply(failed("c"));

    assertThat(view.find("a")).isEmpty();
  }

  @Test
  void doesNotBringBackDroppedJobOnALateEvent() {
    view.apply(failed("a"));
    view.apply(failed("b"));
    view.apply(failed("c"));

    view.apply(submitted("a")); // read from qat.jobs after its outcome from qat.status

    assertThat(view.find("a")).isEmpty();
  }

  @Test
  void refusesLimitBelowOne() {
    assertThatThrownBy(() -> new JobView(50, 0, null))
        .hasMessageContaining("qat.job-view-ended-jobs");
  }
}
