package io.qatfleet.messaging.event;

import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.job.MetricThreshold;
import io.qatfleet.core.quant.LayerSensitivity;
import io.qatfleet.core.train.Distillation;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** One hand-made instance of every event type, for codec and topic tests. */
public final class SampleEvents {

  public static final String JOB = "job-7";
  public static final Instant AT = Instant.parse("2026-03-01T12:00:00.123456Z");
  public static final CheckpointRef FLOAT_CKPT =
      CheckpointRef.of("float weights".getBytes(StandardCharsets.UTF_8));
  public static final CheckpointRef INT_CKPT =
      CheckpointRef.of("int8 weights".getBytes(StandardCharsets.UTF_8));

  private SampleEvents() {}

  public static JobSpec spec() {
    return new JobSpec(
        "fashion-cnn",
        null,
        null,
        null,
        null,
        Map.of("accuracy", new MetricThreshold(0.8, 0.01, null)),
        3);
  }

  public static String id(int n) {
    return String.format("00000000-0000-4000-8000-%012d", n);
  }

  public static List<QatEvent> all() {
    return List.of(
        new JobSubmitted(id(1), JOB, 0, null, AT, spec(), "alice"),
        new TrainRequested(
            id(2), JOB, 1, INT_CKPT, AT, spec(), "first QAT round", 3, 1e-3, FLOAT_CKPT),
        new FloatCheckpointReady(
            id(3), JOB, 0, FLOAT_CKPT, AT, spec(), true, Map.of("loss", 0.31, "accuracy", 0.89)),
        new QuantizedModelReady(
            id(4),
            JOB,
            1,
            INT_CKPT,
            AT,
            spec(),
            FLOAT_CKPT,
            Map.of("calibrationLoss", 0.02, "clippedFraction", 0.001)),
        new ValidationCompleted(
            id(5),
            JOB,
            1,
            INT_CKPT,
            AT,
            Map.of("accuracy", 0.89),
            Map.of("accuracy", 0.86),
            List.of(
                new ThresholdResult(
                    "accuracy", new MetricThreshold(0.8, 0.01, null), 0.89, 0.86, false)),
            0.998,
            Decision.RETRAIN,
            List.of(List.of(45, 5), List.of(6, 44)),
            List.of(List.of(43, 7), List.of(7, 43)),
            ThresholdSource.SPEC,
            List.of(
                new LayerSensitivity(0, "conv0", 4, 0.012, 0.05),
                new LayerSensitivity(1, "output1", 8, -0.001, 0.002))),
        new RetrainRequested(
            id(6),
            JOB,
            1,
            INT_CKPT,
            AT,
            spec(),
            "accuracy dropped 0.03 > 0.01",
            2,
            4,
            5e-4,
            new Remedy(
                List.of("epochs 2 → 4: the loss was still falling", "distillation on"),
                0.02,
                true,
                new Distillation(0.5, 4.0),
                FLOAT_CKPT,
                Map.of("1", 4))),
        new ModelApproved(
            id(7),
            JOB,
            2,
            INT_CKPT,
            AT,
            "fashion-cnn",
            3,
            Map.of("accuracy", 0.885),
            spec(),
            FLOAT_CKPT,
            Map.of("accuracy", new MetricThreshold(0.8, 0.01, null)),
            ThresholdSource.SPEC,
            "0123456789abcdef",
            Base64.getEncoder().encodeToString(new byte[64])),
        new JobFailed(id(8), JOB, 3, INT_CKPT, AT, "no rounds left", 2, INT_CKPT),
        new StatusUpdate(id(9), JOB, 1, null, AT, "qat", 0.5, "epoch 2/4", 2, 0.41, 2480.5),
        new DeadLetter(
            id(10),
            DeadLetter.UNKNOWN_JOB,
            0,
            null,
            AT,
            "qat.jobs",
            2,
            41L,
            "MALFORMED_JSON",
            "MALFORMED_JSON: Unexpected character",
            Base64.getEncoder().encodeToString(new byte[] {'{', 0, (byte) 0xff}),
            "job-9"),
        new RetrainTriggered(
            id(11),
            "job-10",
            0,
            null,
            AT,
            "fashion-cnn",
            RetrainTriggered.Reason.DRIFT_DETECTED,
            "input drift 0.31 over the weekly baseline"),
        new ModelClaimed(id(12), JOB, 0, null, AT, "fashion-cnn", "alice"),
        new JobCancelled(id(13), JOB, 0, null, AT, "alice", "wrong learning rate"));
  }
}
