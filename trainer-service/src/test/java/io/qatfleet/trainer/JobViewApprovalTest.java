package io.qatfleet.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.approval.ApprovalKeys;
import io.qatfleet.messaging.approval.ApprovalSignature;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.StatusUpdate;
import io.qatfleet.messaging.event.ThresholdSource;
import io.qatfleet.messaging.testing.ApprovalKeyResource;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.qatfleet.trainer.service.JobView;
import io.qatfleet.trainer.service.JobView.JobSummary;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The job view shows approvals but counts only verified ones: a genuine approval makes the job
 * approved; an unsigned or forged one is shown as refused and never replaces a genuine one.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(ApprovalKeyResource.class)
class JobViewApprovalTest {

  @Inject JobView view;

  @Test
  void approvesJobWithGenuineApproval() {
    ModelApproved genuine = ApprovalKeyResource.signer().sign(approval(newJob()));

    view.apply(genuine);

    JobSummary job = view.find(genuine.jobId()).orElseThrow();
    assertThat(job.stage()).isEqualTo("approved");
    assertThat(job.approvedVersion()).isEqualTo(2);
    assertThat(job.approval().verified()).isTrue();
    assertThat(job.approval().keyId()).isEqualTo(ApprovalKeyResource.signer().keyId());
  }

  @Test
  void showsForgedApprovalWithoutApprovingTheJob() {
    KeyPair attacker = ApprovalKeys.generate();
    ModelApproved forged =
        ApprovalSignature.signer(attacker.getPrivate(), attacker.getPublic())
            .sign(approval(newJob()));

    view.apply(forged);

    JobSummary job = view.find(forged.jobId()).orElseThrow();
    assertThat(job.stage()).isEqualTo(JobView.APPROVAL_REFUSED);
    assertThat(job.approvedVersion()).isNull();
    assertThat(job.decision()).isNull();
    assertThat(job.approval().verified()).isFalse();
    assertThat(job.approval().problem()).startsWith("BAD_SIGNATURE: ");
    assertThat(job.history())
        .anySatisfy(h -> assertThat(h.message()).contains("v2 not accepted: BAD_SIGNATURE"));
  }

  @Test
  void showsUnsignedApprovalWithoutApprovingTheJob() {
    ModelApproved unsigned = approval(newJob());

    view.apply(unsigned);

    JobSummary job = view.find(unsigned.jobId()).orElseThrow();
    assertThat(job.stage()).isEqualTo(JobView.APPROVAL_REFUSED);
    assertThat(job.approvedVersion()).isNull();
    assertThat(job.approval().problem()).startsWith("UNSIGNED_APPROVAL: ");
  }

  @Test
  void keepsGenuineApprovalWhenAForgeryFollows() {
    String jobId = newJob();
    ModelApproved genuine = ApprovalKeyResource.signer().sign(approval(jobId));
    ModelApproved altered =
        new ModelApproved(
            QatEvent.newEventId(),
            jobId,
            genuine.round(),
            genuine.checkpoint(),
            genuine.timestamp(),
            genuine.modelName(),
            9,
            genuine.metrics(),
            genuine.spec(),
            genuine.calibratedCheckpoint(),
            genuine.thresholds(),
            genuine.thresholdSource(),
            genuine.keyId(),
            genuine.signature());

    view.apply(genuine);
    view.apply(altered);

    JobSummary job = view.find(jobId).orElseThrow();
    assertThat(job.stage()).isEqualTo("approved");
    assertThat(job.approvedVersion()).isEqualTo(2);
    assertThat(job.approval().verified()).isTrue();
    assertThat(job.history())
        .anySatisfy(h -> assertThat(h.message()).contains("v9 not accepted: BAD_SIGNATURE"));
  }

  /**
   * After a restart the view reads qat.deploy, qat.status and qat.jobs on separate consumers, so an
   * approval can come before the progress and report that preceded it: they do not undo it.
   */
  @Test
  void staysApprovedWhenEarlierProgressArrivesAfterTheApproval() {
    String jobId = newJob();
    ModelApproved genuine = ApprovalKeyResource.signer().sign(approval(jobId));
    Instant before = genuine.timestamp().minusSeconds(5);

    view.apply(genuine);
    view.apply(
        new StatusUpdate(
            QatEvent.newEventId(),
            jobId,
            1,
            null,
            before,
            "validation",
            0.0,
            "validating round 1",
            null,
            null,
            null));

    JobSummary job = view.find(jobId).orElseThrow();
    assertThat(job.stage()).isEqualTo("approved");
    assertThat(job.approvedVersion()).isEqualTo(2);
  }

  private static String newJob() {
    return UUID.randomUUID().toString();
  }

  private static ModelApproved approval(String jobId) {
    JobSpec spec = TestJobs.tiny(1);
    return new ModelApproved(
        QatEvent.newEventId(),
        jobId,
        1,
        CheckpointRef.of(jobId.getBytes(StandardCharsets.UTF_8)),
        Instant.now(),
        "view-" + jobId.substring(0, 8),
        2,
        Map.of("accuracy", 0.5),
        spec,
        CheckpointRef.of(("calibrated " + jobId).getBytes(StandardCharsets.UTF_8)),
        spec.thresholds(),
        ThresholdSource.SPEC,
        null,
        null);
  }
}
