package io.qatfleet.bench;

import io.qatfleet.bench.FleetRun.TrainerShare;
import io.qatfleet.core.job.JobSpec;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.topic.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * The Markdown of {@code qat bench fleet} below its header, from the {@link FleetRun}s it measured:
 * each approved job's wall time split by stage ({@link StageSplit}) and where its other time went,
 * the shares of the wall time and the overhead verdict, jobs per hour against the first fleet
 * ({@link Throughput}), and the notes that say how each column was measured.
 */
final class FleetReport {
  private FleetReport() {}

  /** One line naming the job: its name, data, model, quantization and epochs. */
  static String describe(JobSpec job, String source) {
    var d = job.data();
    var q = job.quantization();
    var t = job.training();
    return String.format(
        Locale.ROOT,
        "`%s` (%s): %s, train limit %s, test limit %s, calibration %d images; %s; W%dA%d"
            + " (first/last %d-bit) %s; float %d, QAT %d, calibration %d epoch(s), up to %d"
            + " round(s)",
        job.name(),
        source,
        d.dataset(),
        limit(d.trainLimit()),
        limit(d.testLimit()),
        d.calibrationSize(),
        job.model().architecture().label(),
        q.weightBits(),
        q.activationBits(),
        q.firstLastBits(),
        q.method().name().toLowerCase(Locale.ROOT),
        t.floatEpochs(),
        t.qatEpochs(),
        t.calibrationEpochs(),
        job.maxRounds());
  }

  private static String limit(Integer n) {
    return n == null || n == 0 ? "all" : Integer.toString(n);
  }

  /** The tables and notes below the header; {@code job} is {@link #describe}'s line. */
  static String markdown(
      String job, int jobs, List<FleetRun> runs, int cores, String threads, boolean pinned) {
    StringBuilder out = new StringBuilder();
    out.append("Job: ")
        .append(job)
        .append(String.format(Locale.ROOT, "; %d submitted at once to each fleet.%n%n", jobs));
    out.append("## Where each approved job's wall time goes\n\n");
    MarkdownTable split =
        new MarkdownTable(
            "trainers",
            "job",
            "rounds",
            "wall s",
            "training s (%)",
            "calibration s (%)",
            "validation s (%)",
            "other s (%)",
            "beside the critical path s");
    List<StageSplit> all = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (FleetRun run : runs) {
      int index = 0;
      for (String id : run.jobIds()) {
        index++;
        Optional<StageSplit> s = StageSplit.of(id, run.events().get(id));
        if (s.isEmpty()) {
          split.row(
              Integer.toString(run.trainers()),
              Integer.toString(index),
              "—",
              "not approved",
              "—",
              "—",
              "—",
              "—",
              "—");
          continue;
        }
        StageSplit x = s.get();
        all.add(x);
        x.notes().forEach(m -> missing.add("job " + id + ": " + m));
        split.row(
            Integer.toString(run.trainers()),
            Integer.toString(index),
            Integer.toString(x.rounds()),
            String.format(Locale.ROOT, "%.1f", x.wallSeconds()),
            part(x, x.trainingSeconds()),
            part(x, x.calibrationSeconds()),
            part(x, x.validationSeconds()),
            part(x, x.otherSeconds()),
            beside(x));
      }
    }
    out.append(split.render()).append('\n');
    if (!all.isEmpty()) {
      out.append(whereOtherGoes(runs)).append('\n');
      out.append(
          String.format(
              Locale.ROOT,
              "Share of the wall time over the %d approved job(s), median (min–max): training %s %%,"
                  + " calibration %s %%, validation %s %%, other %s %%.%n%n",
              all.size(),
              share(all, StageSplit::trainingSeconds),
              share(all, StageSplit::calibrationSeconds),
              share(all, StageSplit::validationSeconds),
              share(all, StageSplit::otherSeconds)));
      double medianOther =
          Stats.of(all.stream().map(x -> x.percentOfWall(x.otherSeconds())).toList()).median();
      out.append(
          String.format(
              Locale.ROOT,
              "Goal: other ≤ 3 %% of a job's wall time. Median here: %.1f %%; %s%n%n",
              medianOther,
              jobs == 1
                  ? (medianOther <= 3 ? "met." : "not met.")
                  : "not a verdict: with "
                      + jobs
                      + " jobs at once, other includes the time each job waited behind the"
                      + " others (run with --jobs 1 for a job alone)."));
    }
    if (!missing.isEmpty()) {
      out.append("What the events did not carry: ")
          .append(String.join("; ", missing))
          .append(".\n\n");
    }
    out.append("## Jobs per hour\n\n");
    MarkdownTable throughput =
        new MarkdownTable(
            "trainers",
            "approved / submitted",
            "first submission → last approval s",
            "jobs/hour",
            "vs " + (runs.isEmpty() ? "first" : runs.get(0).trainers() + " trainer(s)"),
            "job wall s, median (min–max)",
            "baselines + QAT rounds per trainer instance",
            "fleet start s");
    double reference = runs.isEmpty() ? Double.NaN : runs.get(0).throughput().jobsPerHour();
    for (FleetRun run : runs) {
      Throughput t = run.throughput();
      List<Double> walls = run.splits().stream().map(StageSplit::wallSeconds).toList();
      throughput.row(
          Integer.toString(run.trainers()) + (run == runs.get(0) ? " (baseline)" : ""),
          t.approved() + " / " + t.submitted(),
          t.approved() == 0 ? "—" : String.format(Locale.ROOT, "%.1f", t.span().toNanos() / 1e9),
          Double.isNaN(t.jobsPerHour()) ? "—" : String.format(Locale.ROOT, "%.1f", t.jobsPerHour()),
          Double.isNaN(t.jobsPerHour()) || Double.isNaN(reference)
              ? "—"
              : String.format(Locale.ROOT, "%.2f×", t.jobsPerHour() / reference),
          walls.isEmpty() ? "—" : BenchReport.quote(Stats.of(walls), 1),
          shares(run.shares()),
          String.format(Locale.ROOT, "%.0f", run.fleetStartSeconds()));
    }
    out.append(throughput.render()).append('\n');
    out.append(notes(cores, threads, pinned));
    return out.toString();
  }

  /** The other time of each approved job by the service it was spent in. */
  private static String whereOtherGoes(List<FleetRun> runs) {
    List<String> header = new ArrayList<>(List.of("trainers", "job"));
    StageSplit.PLACES.forEach(p -> header.add(p + " s"));
    header.add("other s");
    MarkdownTable table = new MarkdownTable(header.toArray(String[]::new));
    StringBuilder paths = new StringBuilder();
    for (FleetRun run : runs) {
      int index = 0;
      for (String id : run.jobIds()) {
        index++;
        List<QatEvent> events = run.events().get(id);
        Optional<StageSplit> s = StageSplit.of(id, events);
        if (s.isEmpty()) {
          continue;
        }
        List<String> row =
            new ArrayList<>(List.of(Integer.toString(run.trainers()), Integer.toString(index)));
        s.get()
            .otherByPlace()
            .values()
            .forEach(v -> row.add(String.format(Locale.ROOT, "%.1f", v)));
        row.add(String.format(Locale.ROOT, "%.1f", s.get().otherSeconds()));
        table.row(row.toArray(String[]::new));
        paths.append(
            String.format(
                Locale.ROOT,
                "- %d trainer(s), job %d: %s%n",
                run.trainers(),
                index,
                path(s.get())));
      }
    }
    return "Where the other time goes, along the critical path: in a service, its stages' time"
        + " from the event that requested them to the event they published, less their"
        + " computation (waiting for the service, also behind work beside the path, loading the"
        + " dataset, the QAT round's observer pass, fetching, decoding, encoding and putting"
        + " checkpoints); between stages, the wall time no stage of the path covers (event"
        + " delivery).\n\n"
        + table.render()
        + "\nThe critical path, stage by stage (seconds from the job's start: start–end, and the"
        + " stage's computation in brackets):\n\n"
        + paths;
  }

  /** Each stage of the critical path: its span from the job's start and its computation. */
  private static String path(StageSplit x) {
    List<String> stages = new ArrayList<>();
    for (StageSplit.Stage st : x.path()) {
      stages.add(
          String.format(
              Locale.ROOT,
              "%s %.1f–%.1f (%.1f)",
              st.name(),
              st.start(),
              st.end(),
              st.computeSeconds()));
    }
    return String.format(
        Locale.ROOT, "%s; approved at %.1f", String.join(", ", stages), x.wallSeconds());
  }

  /** The computation beside the critical path: the total, then each part. */
  private static String beside(StageSplit x) {
    if (x.beside().isEmpty()) {
      return "0.0";
    }
    List<String> parts = new ArrayList<>();
    x.beside()
        .forEach(
            (stage, seconds) -> parts.add(String.format(Locale.ROOT, "%s %.1f", stage, seconds)));
    return String.format(Locale.ROOT, "%.1f (%s)", x.besideSeconds(), String.join(", ", parts));
  }

  private static String part(StageSplit x, double seconds) {
    return String.format(Locale.ROOT, "%.1f (%.1f %%)", seconds, x.percentOfWall(seconds));
  }

  private static String share(List<StageSplit> splits, ToDoubleFunction<StageSplit> seconds) {
    return BenchReport.quote(
        Stats.of(splits.stream().map(x -> x.percentOfWall(seconds.applyAsDouble(x))).toList()), 1);
  }

  private static String shares(List<TrainerShare> shares) {
    List<String> parts = new ArrayList<>();
    for (TrainerShare s : shares) {
      parts.add(
          s.baselines() < 0
              ? s.instance() + ": ?"
              : s.instance() + ": " + s.baselines() + " + " + s.qatRounds());
    }
    return String.join(", ", parts);
  }

  private static String notes(int cores, String threads, boolean pinned) {
    return String.format(
        Locale.ROOT,
        """
        Notes:

        - **Wall time** of a job: from its `JobSubmitted` (stamped by the trainer's job API) to its
          `ModelApproved` (stamped by the validator), both from the events on the topics; all
          processes run on this machine's clock.
        - **Critical path**: the chain of stages that decided when the approval came, walked back
          from `ModelApproved` through the events that requested each stage: float baseline → QAT
          round 1 → quantize → validate (→ `RetrainRequested` → next round ...) of the approving
          round. Each of its stages spans from the event that requested it to the event it
          published; the spans follow one another, so they never overlap.
        - **Training** = `trainingMetrics.seconds` of each `FloatCheckpointReady` on the path (float
          baseline and QAT rounds: building the training graph and running the epochs).
          **Calibration** = `calibrationSeconds` + `projectionSeconds` of each `QuantizedModelReady`
          on it. **Validation** = `quantizedMetrics.evaluationSeconds` of each `ValidationCompleted`
          on it. **Other** = wall − those three (never negative: the path's stages do not overlap):
          dataset loading in each service, the QAT round's observer pass, checkpoint encoding,
          hashing, transfer and decoding, Kafka delivery and polling, JVM warm-up, and waiting for a
          busy service.
        - **Beside the critical path**: computation that ran alongside it and is not subtracted:
          round 0 (post-training quantization: quantize and validate) while QAT round 1 trains,
          unless round 0 led to the approval (`ptq_first`), and the validator's evaluation of the
          float baseline. It competes with the path for the CPU, which shows in the path's
          seconds; where it keeps a service busy when the path needs it, the wait shows as that
          service's other time.
        - **Jobs per hour**: approved jobs / (last `ModelApproved` − first `JobSubmitted`) of a
          batch submitted at once; each trainer count gets a fresh fleet (broker and services), whose
          start-up is outside every job's wall time (last column, for reference).
        - **Trainer instances** share one consumer group. `qat.jobs` and `qat.train` have %d
          partitions each and a job's events are keyed by its id. The job API mints each id so that
          it lands on the partition whose owning trainers (read from the group's assignment) have
          the fewest unfinished jobs (`JobPlacement`), so k trainers share k or more jobs evenly.
          One instance can run a baseline (`qat.jobs`) and a QAT round (`qat.train`) at the same
          time, each channel in order. The per-instance column is read from each instance's
          `qat_train_duration_seconds_count`. There is one quantizer and one validator.
        - **Cores**: this machine has %d; %s
        """,
        Topics.WORK_PARTITIONS,
        cores,
        pinned ? pinnedCores(threads) : sharedCores(threads));
  }

  private static String sharedCores(String threads) {
    return threads
        + """
        , in every service of the fleet (the bench's
          environment, inherited by the services: `QAT_TF_INTRA_OP_THREADS`,
          `QAT_TF_INTER_OP_THREADS`). With one thread per trainer, two trainers can use the two
          cores that one leaves half idle; with the default (one per core) they compete for them.""";
  }

  private static String pinnedCores(String threads) {
    return """
        every trainer instance is pinned to one CPU (`--pin-trainers`:
          `taskset -c`, instance i on the i-th CPU, round robin), the single trainer of the
          baseline included, so a trainer's JVM sees one CPU and runs TensorFlow on one intra-op and
          one inter-op thread, and its two channels share that core: k trainers on k cores against
          one trainer on one. The quantizer and validator are not pinned and run on every core
          (%s), so with one trainer they have a core of their own and with more they compete with
          the trainers for the cores."""
        .formatted(threads);
  }
}
