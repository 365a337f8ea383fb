package io.qatfleet.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.core.job.JobBudget;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.event.JobCancelled;
import io.qatfleet.messaging.event.JobSubmitted;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.service.ServiceStoppingException;
import io.qatfleet.trainer.service.JobStops.JobStoppedException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class JobStopsTest {

  private static final Instant SUBMITTED = Instant.parse("2026-12-01T10:00:00Z");

  private static JobStops at(Instant now) {
    return new JobStops(JobBudget.DEFAULTS, Clock.fixed(now, ZoneOffset.UTC));
  }

  private static JobSubmitted submitted(String jobId, String specJson) {
    return new JobSubmitted(
        QatEvent.newEventId(), jobId, 0, null, SUBMITTED, JobSpec.fromJson(specJson));
  }

  @Test
  void letsJobRunBeforeItsDeadline() {
    JobStops stops = at(SUBMITTED.plusSeconds(29 * 60 + 59));
    stops.apply(submitted("job-1", "{\"deadlineMinutes\": 30}"));

    assertThat(stops.reason("job-1")).isEmpty();
  }

  @Test
  void stopsJobAtItsDeadline() {
    JobStops stops = at(SUBMITTED.plusSeconds(30 * 60));
    stops.apply(submitted("job-1", "{\"deadlineMinutes\": 30}"));

    assertThat(stops.reason("job-1"))
        .contains("deadline passed: the job had to be done by 2026-12-01T10:30:00Z");
  }

  @Test
  void givesJobWithoutDeadlineTheBudgetMaximum() {
    JobStops stops = at(SUBMITTED.plusSeconds(24 * 3600));
    stops.apply(submitted("job-1", "{}"));

    assertThat(stops.reason("job-1"))
        .hasValue("deadline passed: the job had to be done by 2026-12-02T10:00:00Z");
  }

  @Test
  void stopsCancelledJobNamingWhoAndWhy() {
    JobStops stops = at(SUBMITTED);
    stops.apply(submitted("job-1", "{}"));
    stops.apply(
        new JobCancelled(
            QatEvent.newEventId(), "job-1", 0, null, SUBMITTED, "alice", "wrong learning rate"));

    assertThatThrownBy(() -> stops.check("job-1"))
        .isInstanceOf(JobStoppedException.class)
        .hasMessage(
            "job job-1 stopped: cancelled by alice at 2026-12-01T10:00:00Z: wrong learning rate");
  }

  @Test
  void letsUnknownJobRun() {
    assertThat(at(SUBMITTED.plusSeconds(1_000_000)).reason("never-read")).isEmpty();
  }

  @Test
  void stopsEveryJobWithoutFailingItWhenTheServiceShutsDown() {
    JobStops stops = new JobStops(JobBudget.DEFAULTS, Clock.systemUTC());
    stops.check("job-1");

    stops.serviceStopping();

    assertThatThrownBy(() -> stops.check("job-1"))
        .isInstanceOf(ServiceStoppingException.class)
        .hasMessageContaining("resumes on restart");
    assertThat(stops.reason("job-1")).isEmpty();
  }
}
