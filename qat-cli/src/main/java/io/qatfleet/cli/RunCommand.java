package io.qatfleet.cli;

import io.qatfleet.cli.fleet.EventTail;
import io.qatfleet.cli.fleet.FleetStartException;
import io.qatfleet.cli.fleet.JobClient;
import io.qatfleet.cli.fleet.JobFollower;
import io.qatfleet.cli.fleet.JobSummary;
import io.qatfleet.cli.fleet.LocalAuth;
import io.qatfleet.cli.fleet.LocalFleet;
import io.qatfleet.cli.fleet.RunningFleet;
import io.qatfleet.cli.report.ReportWriter;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.core.train.TrainingSpec;
import io.qatfleet.messaging.approval.ApprovalKeys;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.topic.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code qat run job.json} and {@code qat demo}: start the local fleet (a Kafka broker process
 * unless {@code KAFKA_BOOTSTRAP_SERVERS} names one, then the three services, the trainers trusting
 * this machine's key pair), submit the job with the local user's token (kept for {@code qat status}
 * and {@code qat list}), show its progress, print the result table, write the artifacts under
 * {@code runs/<jobId>/} and stop everything it started. Exit code 0 when the model is approved and
 * the approval's signature verifies with the fleet's public key, 1 otherwise.
 */
@Command(
    name = "run",
    aliases = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Run a job through the local fleet (`qat demo`: the built-in Fashion-MNIST W4A4 job).")
final class RunCommand implements Callable<Integer> {
  private static final String DEMO_JOB = "/demo-job.json";
  private static final Duration CHECKPOINT_TIMEOUT = Duration.ofMinutes(2);

  @Parameters(index = "0", arity = "0..1", description = "Job spec JSON (default: the demo job).")
  Path jobFile;

  @Option(names = "--quick", description = "A smoke test: 3,000 training images, 1+1 epochs.")
  boolean quick;

  @Option(names = "--runs-dir", description = "Where runs/<jobId>/ goes (default: runs).")
  Path runsDir = Path.of("runs");

  @Mixin FleetOptions.Repo repo;

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintStream out = System.out;
    JobSpec spec = JobSpec.fromJson(specText());
    if (quick) {
      spec = quick(spec);
    }
    spec.requireValid();
    spec.warnings().forEach(w -> out.println("warning: " + w));
    Optional<RunningFleet> up = RunningFleet.find();
    if (up.isPresent() && !up.get().running().isEmpty()) {
      System.err.println(
          "qat: a fleet started by `qat up` is running on the ports this command would use: give"
              + " it the job with `qat submit "
              + (jobFile == null ? "qat-cli/src/main/resources/demo-job.json" : jobFile)
              + "` and `qat follow <job id>`, or stop it with `qat down` first");
      return 1;
    }
    Path fleetDir =
        runsDir.resolve(
            "fleet-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    out.println("starting the local fleet (logs: " + fleetDir.resolve("logs") + ") ...");
    long t0 = System.nanoTime();
    try (LocalFleet fleet =
        LocalFleet.start(
            repo.root(), fleetDir.toAbsolutePath(), System.getenv("KAFKA_BOOTSTRAP_SERVERS"), 0)) {
      out.printf(
          Locale.ROOT,
          "fleet ready in %.0f s: broker %s, trainer %s%n",
          (System.nanoTime() - t0) / 1e9,
          fleet.bootstrapServers(),
          fleet.url("trainer-service"));
      try (EventTail tail = new EventTail(fleet.bootstrapServers(), Topics.EVENT_TOPICS)) {
        // The token the other commands (status, list) send by default from now on.
        LocalAuth.local().saveToken(fleet.token());
        String jobId =
            new JobClient(fleet.url("trainer-service"), fleet.token()).submit(spec.toJson());
        Path jobDir = runsDir.resolve(jobId);
        Files.createDirectories(jobDir);
        Files.createSymbolicLink(jobDir.resolve("logs"), fleetDir.resolve("logs").toAbsolutePath());
        out.println("submitted job " + jobId + " (" + spec.name() + ")");
        JobSummary summary = follow(fleet, tail, jobId, out);
        out.println();
        out.print(summary.table());
        boolean genuine =
            summary
                .approved()
                .map(a -> verified(a, fleet.approvalPublicKeyFile(), out))
                .orElse(false);
        writeArtifacts(fleet, tail, jobId, summary, jobDir, out);
        return genuine ? 0 : 1;
      }
    } catch (FleetStartException e) {
      System.err.println("qat: " + e.getMessage());
      if (!e.logTail().isBlank()) {
        System.err.println("--- last lines of its log ---\n" + e.logTail());
      }
      return 1;
    }
  }

  /** Whether the approval's signature verifies with the fleet's public key; says so either way. */
  static boolean verified(ModelApproved approval, Path publicKey, PrintStream out) {
    try {
      ApprovalKeys.verifier(publicKey).verify(approval);
    } catch (IOException | RuntimeException e) {
      out.println("approval NOT verified: " + e.getMessage());
      return false;
    }
    out.printf(
        Locale.ROOT,
        "approval signed by key %s, signature verified (public key: %s)%n",
        approval.keyId(),
        publicKey);
    return true;
  }

  private String specText() throws IOException {
    if (jobFile != null) {
      return Files.readString(jobFile);
    }
    try (InputStream in = RunCommand.class.getResourceAsStream(DEMO_JOB)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static JobSpec quick(JobSpec spec) {
    TrainingSpec t = spec.training();
    return new JobSpec(
        spec.name(),
        spec.data().withLimits(3000, 1000, 500),
        spec.model(),
        spec.quantization(),
        new TrainingSpec(
            1,
            1,
            1,
            t.batchSize(),
            t.optimizer(),
            t.learningRate(),
            t.qatLearningRate(),
            t.calibrationLearningRate(),
            t.momentum(),
            t.schedule(),
            t.seed(),
            t.hardProjection(),
            t.distillation()),
        spec.thresholds(),
        spec.maxRounds(),
        spec.deadlineMinutes(),
        spec.strategy());
  }

  /** Prints progress until the job is approved, failed or rejected, or a service dies. */
  private static JobSummary follow(LocalFleet fleet, EventTail tail, String jobId, PrintStream out)
      throws InterruptedException {
    return JobFollower.follow(tail, jobId, out::println, fleet::requireAlive);
  }

  private static void writeArtifacts(
      LocalFleet fleet,
      EventTail tail,
      String jobId,
      JobSummary summary,
      Path jobDir,
      PrintStream out)
      throws IOException {
    List<Path> reports = new ReportWriter().write(jobDir, jobId, tail.ofJob(jobId));
    CheckpointRef integer =
        summary
            .approved()
            .map(QatEvent::checkpoint)
            .orElse(summary.failed().map(f -> f.bestCheckpoint()).orElse(null));
    CheckpointRef onnx = summary.approved().map(a -> a.onnxModel()).orElse(null);
    if (integer != null) {
      try (KafkaCheckpointStore store = new KafkaCheckpointStore(fleet.bootstrapServers())) {
        Path file = jobDir.resolve(integer.sha256() + ".safetensors");
        Files.write(file, store.get(integer, CHECKPOINT_TIMEOUT));
        out.println("integer checkpoint: " + file);
        if (onnx != null) {
          Path model = jobDir.resolve(PullCommand.ONNX_FILE);
          Files.write(model, store.get(onnx, CHECKPOINT_TIMEOUT));
          out.println("ONNX model (what was validated and approved): " + model);
        }
      }
    }
    out.println("report: " + String.join(", ", reports.stream().map(Path::toString).toList()));
  }
}
