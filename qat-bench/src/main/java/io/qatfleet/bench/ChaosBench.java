package io.qatfleet.bench;

import io.qatfleet.bench.ReliabilityReport.Fault;
import io.qatfleet.bench.ReliabilityReport.Hostile;
import io.qatfleet.cli.fleet.FleetStartException;
import io.qatfleet.cli.fleet.JobClient;
import io.qatfleet.cli.fleet.LocalAuth;
import io.qatfleet.cli.fleet.LocalFleet;
import io.qatfleet.core.job.JobSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code qat bench chaos}: the fleet under faults and hostile input, on loopback. It starts the
 * local fleet (broker and the three packaged services as processes), keeps honest jobs running, and
 * meanwhile kills services with SIGKILL at random moments (seeded), restarts the broker mid-round,
 * holds the broker down, and plays the hostile inputs of {@link HostileInputs}. A supervisor thread
 * plays Kubernetes' liveness probe: a service that is dead, or whose liveness check stays DOWN, is
 * restarted with its state directory. At the end it counts what the fleet wrote ({@link
 * ReliabilityReport}): jobs finished and lost, duplicated outcomes and approvals, recovery times,
 * and writes {@code docs/benchmarks/reliability.md}. Exit code 0 when nothing was lost or approved
 * twice, every service is alive and every hostile input was refused as expected.
 */
@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    description =
        "Kills services and the broker at random moments and sends hostile input while jobs run;"
            + " counts lost jobs, duplicate approvals and recovery times.")
public final class ChaosBench implements Callable<Integer> {
  static final String DEFAULT_JOB = "/bench-chaos-job.json";
  static final List<String> KILLABLE =
      List.of("trainer-service", "quantizer-service", "validator-service");

  /** The job view's stages of a job that has ended. */
  private static final Set<String> TERMINAL = Set.of("approved", "failed", "cancelled");

  /** How long a service may stay not-live before the supervisor restarts it. */
  private static final Duration LIVENESS_GRACE = Duration.ofSeconds(20);

  @Spec CommandSpec spec;

  @Option(
      names = "--jobs",
      defaultValue = "4",
      description =
          "Jobs submitted at the start (default ${DEFAULT-VALUE}); one more is submitted"
              + " whenever all are finished while faults remain.")
  int jobs;

  @Option(
      names = "--faults",
      defaultValue = "20",
      description =
          "Faults in all (default ${DEFAULT-VALUE}): service kills, plus one broker restart and"
              + " one broker outage.")
  int faults;

  @Option(
      names = "--broker-down-seconds",
      defaultValue = "90",
      description = "How long the broker outage lasts (default ${DEFAULT-VALUE}).")
  int brokerDownSeconds;

  @Option(
      names = "--gap-seconds",
      defaultValue = "8,25",
      split = ",",
      description = "Random pause between faults, min,max seconds (default ${DEFAULT-VALUE}).")
  List<Integer> gapSeconds;

  @Option(names = "--seed", defaultValue = "1", description = "Random seed (default 1).")
  long seed;

  @Option(
      names = "--port-offset",
      defaultValue = "0",
      description =
          "Added to the services' ports (8081-8083, 9081-9083), to run beside another local fleet"
              + " (default ${DEFAULT-VALUE}).")
  int portOffset;

  @Option(
      names = "--timeout-minutes",
      defaultValue = "60",
      description = "Give up waiting for the jobs after this long (default ${DEFAULT-VALUE}).")
  int timeoutMinutes;

  @Option(
      names = "--out",
      defaultValue = "docs/benchmarks/reliability.md",
      description = "Markdown file the tables go to (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--runs-dir",
      defaultValue = "runs",
      description = "Where the fleet's logs go, under chaos-<time>/ (default ${DEFAULT-VALUE}).")
  Path runsDir;

  @Option(
      names = "--repo",
      description = "Repository root holding the packaged services (default: QAT_HOME or .).")
  Path repo = Path.of(System.getenv().getOrDefault("QAT_HOME", "."));

  private final List<Fault> injected = new CopyOnWriteArrayList<>();
  private final AtomicInteger supervisorRestarts = new AtomicInteger();
  private final Object fleetLock = new Object();
  private volatile boolean supervising = true;

  @Override
  public Integer call() throws Exception {
    // The broker is down on purpose: every Kafka client would warn about it many times a second.
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
    List<String> problems = problems(jobs, faults, brokerDownSeconds, gapSeconds);
    if (!problems.isEmpty()) {
      throw new ParameterException(spec.commandLine(), String.join("; ", problems));
    }
    JobSpec job = JobSpec.fromJson(specText());
    job.requireValid();
    PrintStream console = System.out;
    String command = BenchReport.command(spec.commandLine().getParseResult().originalArgs());
    MachineInfo machine = MachineInfo.current();
    double load = BenchReport.loadAverage();
    Path runDir =
        runsDir
            .resolve(
                "chaos-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))
            .toAbsolutePath();
    console.printf("starting the local fleet (logs: %s) ...%n", runDir.resolve("logs"));
    long t0 = System.nanoTime();
    try (LocalFleet fleet = LocalFleet.start(repo.toAbsolutePath(), runDir, null, portOffset, 1)) {
      FreshReads reads = new FreshReads(fleet.bootstrapServers());
      JobClient submitter = new JobClient(fleet.url("trainer-service"), fleet.token());
      JobClient operator =
          new JobClient(
              fleet.url("trainer-service"),
              LocalAuth.local().mint(LocalAuth.localUser(), "operator", Duration.ofHours(4)));
      List<String> ids = new CopyOnWriteArrayList<>();
      for (int i = 0; i < jobs; i++) {
        ids.add(submitter.submit(job.toJson()));
      }
      console.printf("submitted %d job(s)%n", ids.size());
      Thread supervisor = new Thread(() -> supervise(fleet, console), "chaos-supervisor");
      supervisor.setDaemon(true);
      supervisor.start();

      List<Hostile> hostile = new ArrayList<>();
      Thread hostilePass =
          new Thread(
              () -> {
                try {
                  hostile.addAll(new HostileInputs(fleet, reads, operator, job).run());
                } catch (Exception e) {
                  hostile.add(new Hostile("hostile pass", "completes", e.toString(), false));
                }
              },
              "chaos-hostile");
      hostilePass.start();

      injectFaults(fleet, operator, submitter, job, ids, t0, console);
      hostilePass.join(Duration.ofMinutes(20).toMillis());
      awaitJobs(operator, ids, Duration.ofMinutes(timeoutMinutes), console);
      supervising = false;
      supervisor.join(Duration.ofMinutes(2).toMillis());
      Thread.sleep(Duration.ofSeconds(5).toMillis()); // late duplicates, if any, arrive

      List<String> alive = new ArrayList<>();
      List<String> dead = new ArrayList<>();
      for (String instance : fleet.instances()) {
        (fleet.isLive(instance) ? alive : dead).add(instance);
      }
      ReliabilityReport.Tally tally = ReliabilityReport.tally(ids, reads.all());
      double wall = (System.nanoTime() - t0) / 1e9;
      String text =
          BenchReport.header(
                  "Reliability: faults and hostile input while jobs run", machine, command, load)
              + ReliabilityReport.markdown(
                  tally,
                  injected,
                  hostile,
                  alive,
                  dead,
                  supervisorRestarts.get(),
                  describe(job),
                  wall);
      console.println();
      BenchReport.publish(text, out, console);
      return ReliabilityReport.passed(tally, hostile, dead, injected.size(), faults) ? 0 : 1;
    } catch (FleetStartException e) {
      System.err.println("qat: " + e.getMessage());
      return 1;
    }
  }

  static List<String> problems(int jobs, int faults, int brokerDown, List<Integer> gap) {
    List<String> out = new ArrayList<>();
    if (jobs < 1) {
      out.add("--jobs: must be at least 1, got " + jobs);
    }
    if (faults < 2) {
      out.add("--faults: must be at least 2 (the broker restart and outage), got " + faults);
    }
    if (brokerDown < 1 || brokerDown > 600) {
      out.add("--broker-down-seconds: must be 1 to 600, got " + brokerDown);
    }
    if (gap == null || gap.size() != 2 || gap.get(0) < 1 || gap.get(1) < gap.get(0)) {
      out.add("--gap-seconds: min,max with 1 <= min <= max, got " + gap);
    }
    return out;
  }

  /**
   * The fault plan: {@code faults - 2} service kills, a broker restart after a third of them and a
   * broker outage after two thirds, a seeded random pause before each. Keeps at least one job
   * unfinished, so that faults land on work.
   */
  private void injectFaults(
      LocalFleet fleet,
      JobClient jobs,
      JobClient submitter,
      JobSpec job,
      List<String> ids,
      long t0,
      PrintStream console)
      throws Exception {
    Random random = new Random(seed);
    int kills = faults - 2;
    int restartAt = kills / 3;
    int outageAt = 2 * kills / 3;
    for (int i = 0; i <= kills; i++) {
      int gap = gapSeconds.get(0) + random.nextInt(gapSeconds.get(1) - gapSeconds.get(0) + 1);
      Thread.sleep(Duration.ofSeconds(gap).toMillis());
      if (ids.stream().allMatch(id -> ended(jobs, id))) {
        ids.add(submitter.submit(job.toJson()));
        console.printf("all jobs finished: submitted one more (%d in all)%n", ids.size());
      }
      double at = (System.nanoTime() - t0) / 1e9;
      if (i == restartAt) {
        brokerFault(fleet, "broker restart", 0, at, console);
      } else if (i == outageAt) {
        brokerFault(
            fleet, "broker down " + brokerDownSeconds + " s", brokerDownSeconds, at, console);
      }
      if (i < kills) {
        String target = KILLABLE.get(random.nextInt(KILLABLE.size()));
        long k0 = System.nanoTime();
        synchronized (fleetLock) {
          fleet.kill(target);
          try {
            fleet.restart(target);
          } catch (FleetStartException e) {
            console.printf("restarting %s failed (%s); the supervisor retries%n", target, e);
          }
        }
        awaitLive(fleet, target);
        double recovery = (System.nanoTime() - k0) / 1e9;
        injected.add(new Fault("SIGKILL", target, at, recovery));
        console.printf(
            Locale.ROOT,
            "fault %d/%d: SIGKILL %s at %.0f s, ready again after %.1f s%n",
            injected.size(),
            faults,
            target,
            at,
            recovery);
      }
    }
  }

  private void brokerFault(
      LocalFleet fleet, String kind, int downSeconds, double at, PrintStream console)
      throws Exception {
    long k0;
    synchronized (fleetLock) {
      fleet.killBroker();
      Thread.sleep(Duration.ofSeconds(downSeconds).toMillis());
      k0 = System.nanoTime();
      fleet.restartBroker();
    }
    // Whole again once every service is live (the supervisor restarts those that are not).
    for (String instance : fleet.instances()) {
      awaitLive(fleet, instance);
    }
    double recovery = (System.nanoTime() - k0) / 1e9;
    injected.add(new Fault(kind, "kafka broker", at, recovery));
    console.printf(
        Locale.ROOT,
        "fault %d/%d: %s at %.0f s, fleet live again %.1f s after the broker came back%n",
        injected.size(),
        faults,
        kind,
        at,
        recovery);
  }

  private static void awaitLive(LocalFleet fleet, String instance) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (!fleet.isLive(instance) && System.nanoTime() < deadline) {
      Thread.sleep(500);
    }
  }

  /** Restarts a service found dead, or not live for {@link #LIVENESS_GRACE}, like a kubelet. */
  private void supervise(LocalFleet fleet, PrintStream console) {
    Map<String, Long> downSince = new HashMap<>();
    while (supervising) {
      for (String instance : fleet.instances()) {
        synchronized (fleetLock) {
          boolean alive = fleet.process(instance).isAlive();
          boolean live = alive && fleet.isLive(instance);
          if (live) {
            downSince.remove(instance);
            continue;
          }
          long since = downSince.computeIfAbsent(instance, k -> System.nanoTime());
          if (!alive || System.nanoTime() - since > LIVENESS_GRACE.toNanos()) {
            console.printf(
                "supervisor: %s %s; restarting it%n",
                instance, alive ? "not live for " + LIVENESS_GRACE.toSeconds() + " s" : "exited");
            try {
              if (alive) {
                fleet.kill(instance);
              }
              fleet.restart(instance);
              supervisorRestarts.incrementAndGet();
            } catch (RuntimeException e) {
              console.printf("supervisor: restarting %s failed: %s%n", instance, e.getMessage());
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
            downSince.remove(instance);
          }
        }
      }
      try {
        Thread.sleep(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void awaitJobs(
      JobClient jobs, List<String> ids, Duration timeout, PrintStream console)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ids.stream().allMatch(id -> ended(jobs, id)) && System.nanoTime() < deadline) {
      Thread.sleep(5000);
    }
    long open = ids.stream().filter(id -> !ended(jobs, id)).count();
    console.printf("%d of %d jobs finished%n", ids.size() - open, ids.size());
  }

  /** Whether the job view (the trainer's {@code GET /jobs/{id}}) shows the job ended. */
  private static boolean ended(JobClient jobs, String jobId) {
    try {
      return TERMINAL.contains(jobs.job(jobId).path("stage").asText());
    } catch (JobClient.JobApiException e) {
      return false; // the trainer is restarting, or has not read the job yet
    }
  }

  private static String describe(JobSpec job) {
    return String.format(
        Locale.ROOT,
        "`%s`: %s %s on %s (%d training images), W%dA%d, %d float + %d QAT epochs, up to %d"
            + " rounds (qat-bench/src/main/resources%s)",
        job.name(),
        job.model().architecture().label(),
        job.model().convChannels(),
        job.data().dataset(),
        job.data().trainLimit(),
        job.quantization().weightBits(),
        job.quantization().activationBits(),
        job.training().floatEpochs(),
        job.training().qatEpochs(),
        job.maxRounds(),
        DEFAULT_JOB);
  }

  private String specText() throws IOException {
    try (InputStream in = ChaosBench.class.getResourceAsStream(DEFAULT_JOB)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
