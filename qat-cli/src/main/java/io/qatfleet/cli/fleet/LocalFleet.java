package io.qatfleet.cli.fleet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The fleet on one machine, every part a separate process: a real single-node Kafka broker (KRaft,
 * Kafka's own jars, started from this JVM's class path) unless a bootstrap address is given, then
 * the three packaged Quarkus services ({@code java -jar quarkus-run.jar}), each with its own state
 * directory and log file under the run directory. {@link #close()} stops what it started (services
 * first, then the broker), also from a shutdown hook on Ctrl-C: {@code qat run} and the tests run a
 * fleet for as long as they need it. {@code qat up} starts it the same way, then {@link
 * #detach()}es it: the processes outlive this JVM and {@link RunningFleet} knows them.
 *
 * <p>The validator signs approvals with the key pair named by {@code QAT_APPROVAL_PRIVATE_KEY_FILE}
 * and {@code QAT_APPROVAL_PUBLIC_KEY_FILE} when both are set; otherwise the fleet generates a pair
 * under {@code <run dir>/state/approval-key/} (kept: a fleet started again on the same run
 * directory signs with the same key; {@link #approvalPublicKeyFile()}). The validator gets both
 * files, the trainers the public one. The three services seal and verify their events with one
 * fleet key ({@code QAT_EVENT_KEY}, else made once under {@code <run dir>/state/event.key}).
 *
 * <p>Each service answers its API on its HTTP port and {@code /q/health}, {@code /q/metrics} on its
 * management port ({@link #managementUrl}). The trainers verify bearer tokens against this
 * machine's key pair ({@link LocalAuth}, created if missing); {@link #token()} is one for the local
 * user.
 *
 * <p>The trainer may run as several instances ({@link #start(Path, Path, String, int, int)}): one
 * consumer group, so they share the partitions of the work topics ({@code Topics.WORK_PARTITIONS}).
 * The first is {@code trainer-service} on the trainer's port; the others are {@code
 * trainer-service-2}, ... on free ports, each with its own state directory and log.
 */
public final class LocalFleet implements AutoCloseable {
  /** The services, in start order, with their HTTP ports. */
  public static final Map<String, Integer> SERVICES =
      Map.of("trainer-service", 8081, "quantizer-service", 8082, "validator-service", 8083);

  /** The services' management ports ({@code /q/health}, {@code /q/metrics}). */
  public static final Map<String, Integer> MANAGEMENT_PORTS =
      Map.of("trainer-service", 9081, "quantizer-service", 9082, "validator-service", 9083);

  public static final List<String> START_ORDER =
      List.of("trainer-service", "quantizer-service", "validator-service");

  private static final Duration BROKER_READY = Duration.ofSeconds(90);
  private static final Duration SERVICE_READY = Duration.ofSeconds(180);
  private static final Duration STOP_GRACE = Duration.ofSeconds(20);
  private static final String READY_LINE = "KAFKA READY";

  /** The name of the broker among a fleet's parts, and of its log ({@code kafka.log}). */
  public static final String KAFKA = "kafka";

  private static final String KAFKA_PART = "kafka broker";

  /** A child's standard input: nothing, so that it does not hang on this process's terminal. */
  private static final ProcessBuilder.Redirect NO_INPUT =
      ProcessBuilder.Redirect.from(new java.io.File("/dev/null"));

  /** The broker's port of a fleet started by {@code qat up} (plus its port offset). */
  public static final int DEFAULT_BROKER_PORT = 9092;

  /**
   * Name of the trainer instance {@code i} (from 1): the first is plain {@code trainer-service}.
   */
  static String trainerInstance(int i) {
    return i == 1 ? "trainer-service" : "trainer-service-" + i;
  }

  private final Path repoRoot;
  private final Path runDir;

  /** Port of every instance, in start order: the trainers, the quantizer, the validator. */
  private final Map<String, Integer> ports;

  /** Management port of every instance. */
  private final Map<String, Integer> managementPorts = new LinkedHashMap<>();

  private final LocalAuth auth = LocalAuth.local();
  private String token;

  private final Map<String, Process> services = new LinkedHashMap<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private Process broker;
  private int brokerPort;
  private String bootstrapServers;
  private Thread shutdownHook;
  private FleetKeys.ApprovalKeyFiles approvalKeys;
  private String eventKey;

  /** The CPU each trainer instance is pinned to ({@code taskset -c}); empty: none is pinned. */
  private final Map<String, Integer> trainerCpus = new LinkedHashMap<>();

  private LocalFleet(Path repoRoot, Path runDir, Map<String, Integer> ports) {
    this.repoRoot = repoRoot;
    this.runDir = runDir;
    this.ports = ports;
  }

  /**
   * Starts the broker (unless {@code externalBootstrap} is set) and the services, and waits until
   * every service reports ready. On any failure everything started is stopped and a {@link
   * FleetStartException} names the part that failed with the tail of its log.
   *
   * @param portOffset added to every service's default port, so tests can run beside a demo
   */
  public static LocalFleet start(
      Path repoRoot, Path runDir, String externalBootstrap, int portOffset) {
    return start(repoRoot, runDir, externalBootstrap, portOffset, 1);
  }

  /**
   * Like {@link #start(Path, Path, String, int)}, with {@code trainers} trainer instances.
   *
   * @throws IllegalArgumentException if {@code trainers < 1}
   */
  public static LocalFleet start(
      Path repoRoot, Path runDir, String externalBootstrap, int portOffset, int trainers) {
    return start(repoRoot, runDir, externalBootstrap, portOffset, trainers, 0, false);
  }

  /**
   * Like {@link #start(Path, Path, String, int, int)}, the broker (when this fleet starts one) on
   * {@code brokerPort}, 0 for a free port; with {@code pinTrainers}, trainer instance i runs on the
   * i-th CPU this process may use (round robin; {@code taskset -c}, from util-linux), so that each
   * trainer is held to one core: its JVM then sees one CPU, and its TensorFlow sessions size their
   * pools to it. The quantizer and validator are not pinned. For measuring how jobs per hour grow
   * with trainers when each has a core of its own.
   */
  public static LocalFleet start(
      Path repoRoot,
      Path runDir,
      String externalBootstrap,
      int portOffset,
      int trainers,
      int brokerPort,
      boolean pinTrainers) {
    if (trainers < 1) {
      throw new IllegalArgumentException("trainers must be at least 1, was " + trainers);
    }
    LocalFleet fleet = new LocalFleet(repoRoot, runDir, new LinkedHashMap<>());
    fleet.shutdownHook = new Thread(fleet::stopQuietly, "qat-fleet-shutdown");
    Runtime.getRuntime().addShutdownHook(fleet.shutdownHook);
    try {
      for (String instance : instances(trainers)) {
        String service = serviceOf(instance);
        boolean extraTrainer = !instance.equals(service);
        fleet.ports.put(
            instance,
            extraTrainer ? FleetProcesses.freePort() : SERVICES.get(service) + portOffset);
        fleet.managementPorts.put(
            instance,
            extraTrainer ? FleetProcesses.freePort() : MANAGEMENT_PORTS.get(service) + portOffset);
      }
      if (pinTrainers) {
        List<Integer> cpus = FleetProcesses.allowedCpus();
        List<String> trainerInstances = fleet.trainers();
        for (int i = 0; i < trainerInstances.size(); i++) {
          fleet.trainerCpus.put(trainerInstances.get(i), cpus.get(i % cpus.size()));
        }
      }
      for (String instance : fleet.instances()) {
        FleetProcesses.requireFree(instance, "HTTP port", fleet.ports.get(instance));
        FleetProcesses.requireFree(
            instance, "management port", fleet.managementPorts.get(instance));
      }
      if (externalBootstrap == null && brokerPort != 0) {
        FleetProcesses.requireFree(KAFKA, "broker port", brokerPort);
      }
      Files.createDirectories(fleet.logDir());
      fleet.approvalKeys =
          FleetKeys.approvalKeys(
              runDir,
              System.getenv(FleetKeys.PRIVATE_KEY_ENV),
              System.getenv(FleetKeys.PUBLIC_KEY_ENV));
      fleet.eventKey = FleetKeys.eventKey(runDir, System.getenv(FleetKeys.EVENT_KEY_ENV));
      fleet.auth.ensureKeyPair();
      if (externalBootstrap != null) {
        fleet.bootstrapServers = externalBootstrap;
      } else {
        fleet.brokerPort = brokerPort == 0 ? FleetProcesses.freePort() : brokerPort;
        fleet.bootstrapServers = fleet.startBroker(fleet.brokerPort);
      }
      for (String instance : fleet.instances()) {
        fleet.startService(instance);
      }
      for (String instance : fleet.instances()) {
        fleet.awaitReady(instance);
      }
      return fleet;
    } catch (IOException e) {
      fleet.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      fleet.close();
      throw e;
    }
  }

  /** The service instances of a fleet with {@code trainers} trainers, in start order. */
  static List<String> instances(int trainers) {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= trainers; i++) {
      out.add(trainerInstance(i));
    }
    START_ORDER.stream().filter(s -> !s.equals("trainer-service")).forEach(out::add);
    return out;
  }

  /** The service (module) an instance runs: {@code trainer-service-2} runs trainer-service. */
  static String serviceOf(String instance) {
    return instance.startsWith("trainer-service-") ? "trainer-service" : instance;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The public key the fleet's approvals verify with (X.509 PEM). */
  public Path approvalPublicKeyFile() {
    return approvalKeys.publicKey();
  }

  /** Every service instance of this fleet, in start order; each has a log {@code <name>.log}. */
  public List<String> instances() {
    return List.copyOf(ports.keySet());
  }

  /** The trainer instances: {@code trainer-service}, then {@code trainer-service-2}, ... */
  public List<String> trainers() {
    return instances().stream().filter(i -> serviceOf(i).equals("trainer-service")).toList();
  }

  /** The CPU each pinned trainer instance runs on; empty when the trainers are not pinned. */
  public Map<String, Integer> trainerCpus() {
    return Map.copyOf(trainerCpus);
  }

  public Path logDir() {
    return runDir.resolve("logs");
  }

  /** The HTTP address of a service instance (the trainer's job API). */
  public String url(String instance) {
    return "http://127.0.0.1:" + ports.get(instance);
  }

  /** The management address of a service instance: {@code /q/health}, {@code /q/metrics}. */
  public String managementUrl(String instance) {
    return "http://127.0.0.1:" + managementPorts.get(instance);
  }

  /**
   * A submitter's token for the local user, signed with the key pair the trainers trust; the same
   * one for the life of this fleet.
   */
  public synchronized String token() {
    if (token == null) {
      token = auth.mint(LocalAuth.localUser(), LocalAuth.SUBMITTER, LocalAuth.DEFAULT_LIFETIME);
    }
    return token;
  }

  /** The running process of a service instance (for tests that kill it). */
  public Process process(String instance) {
    return services.get(instance);
  }

  /**
   * Throws a {@link FleetStartException} naming the first instance whose process has exited, with
   * the tail of its log: a job cannot finish without it.
   */
  public void requireAlive() {
    for (String instance : instances()) {
      Process p = services.get(instance);
      if (p != null && !p.isAlive()) {
        throw new FleetStartException(
            instance,
            "exited while running the job",
            FleetProcesses.tail(logDir().resolve(instance + ".log")));
      }
    }
  }

  /** Kills a service without warning (SIGKILL), as a crashed machine would. */
  public void kill(String service) throws InterruptedException {
    Process p = services.get(service);
    p.destroyForcibly();
    p.waitFor(STOP_GRACE.toSeconds(), TimeUnit.SECONDS);
  }

  /** Starts a (killed) service again with the same state directory and waits until ready. */
  public void restart(String service) {
    startService(service);
    awaitReady(service);
  }

  /**
   * Kills the broker without warning (SIGKILL); {@link #restartBroker} starts it again on the same
   * port and data directory. Only for a broker this fleet started.
   */
  public synchronized void killBroker() throws InterruptedException {
    if (broker == null) {
      throw new IllegalStateException("this fleet runs on an external broker");
    }
    broker.destroyForcibly();
    broker.waitFor(STOP_GRACE.toSeconds(), TimeUnit.SECONDS);
  }

  /** Starts the (killed) broker again on its port and data directory and waits until ready. */
  public synchronized void restartBroker() throws IOException {
    startBroker(brokerPort);
  }

  /**
   * Whether {@code instance}'s process runs and its liveness check answers UP (as a Kubernetes
   * liveness probe would ask).
   */
  public boolean isLive(String instance) {
    Process p = services.get(instance);
    if (p == null || !p.isAlive()) {
      return false;
    }
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(managementUrl(instance) + "/q/health/live"))
            .timeout(Duration.ofSeconds(5))
            .build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Leaves the fleet running after this JVM exits ({@code qat up}): drops the shutdown hook, so
   * that only {@link #close()} (or {@link RunningFleet#stop}) stops it, and describes its
   * processes, broker first, for the fleet's {@link RunningFleet} file.
   */
  public synchronized List<RunningFleet.Part> detach() {
    if (shutdownHook != null) {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
      shutdownHook = null;
    }
    List<RunningFleet.Part> parts = new ArrayList<>();
    if (broker != null) {
      parts.add(RunningFleet.Part.of(KAFKA, broker.toHandle(), bootstrapServers, null, logDir()));
    }
    for (String instance : instances()) {
      parts.add(
          RunningFleet.Part.of(
              instance,
              services.get(instance).toHandle(),
              url(instance),
              managementUrl(instance) + "/q/health/ready",
              logDir()));
    }
    return parts;
  }

  /** The fleet's event key (base64): what a test playing a fleet insider seals with. */
  public String eventKey() {
    return eventKey;
  }

  private String startBroker(int port) throws IOException {
    Path log = logDir().resolve(KAFKA + ".log");
    long logStart = Files.exists(log) ? Files.size(log) : 0;
    ProcessBuilder pb =
        new ProcessBuilder(
                FleetProcesses.javaBinary(),
                "-cp",
                System.getProperty("java.class.path"),
                "io.qatfleet.messaging.broker.KafkaBrokerMain",
                "--port",
                Integer.toString(port),
                "--log-dir",
                runDir.resolve("kafka-data").toString())
            .redirectErrorStream(true)
            .redirectInput(NO_INPUT)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    broker = pb.start();
    long deadline = System.nanoTime() + BROKER_READY.toNanos();
    while (!readyLineSince(log, logStart)) {
      if (!broker.isAlive()) {
        throw new FleetStartException(
            KAFKA_PART, "exited before it was ready", FleetProcesses.tail(log));
      }
      if (System.nanoTime() > deadline) {
        throw new FleetStartException(
            KAFKA_PART,
            "not ready within " + BROKER_READY.toSeconds() + " s",
            FleetProcesses.tail(log));
      }
      FleetProcesses.sleep(Duration.ofMillis(200));
    }
    return "127.0.0.1:" + port;
  }

  /** Whether the broker's log has its ready line after byte {@code from} (this start's output). */
  private static boolean readyLineSince(Path log, long from) throws IOException {
    if (!Files.exists(log) || Files.size(log) <= from) {
      return false;
    }
    try (var in = Files.newInputStream(log)) {
      in.skipNBytes(from);
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return text.lines().anyMatch(line -> line.startsWith(READY_LINE));
    }
  }

  private void startService(String instance) {
    Path jar = repoRoot.resolve(serviceOf(instance)).resolve("target/quarkus-app/quarkus-run.jar");
    if (!Files.isRegularFile(jar)) {
      throw new FleetStartException(
          instance, "not built: " + jar + " is missing (run ./mvnw package -DskipTests)", "");
    }
    Path log = logDir().resolve(instance + ".log");
    List<String> command = new ArrayList<>();
    Integer cpu = trainerCpus.get(instance);
    if (cpu != null) {
      command.addAll(List.of("taskset", "-c", cpu.toString()));
    }
    command.addAll(List.of(FleetProcesses.javaBinary(), "-jar", jar.toString()));
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectInput(NO_INPUT)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Map<String, String> env = pb.environment();
    env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers);
    env.put("QUARKUS_HTTP_PORT", Integer.toString(ports.get(instance)));
    env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPorts.get(instance)));
    if (serviceOf(instance).equals("trainer-service")) {
      env.put("MP_JWT_VERIFY_PUBLICKEY_LOCATION", "file:" + auth.publicKeyFile());
      env.put("MP_JWT_VERIFY_ISSUER", LocalAuth.ISSUER);
    }
    env.put("QAT_STATE_DIR", runDir.resolve("state").resolve(instance).toString());
    env.put(FleetKeys.EVENT_KEY_ENV, eventKey);
    env.remove(FleetKeys.PRIVATE_KEY_ENV);
    env.put(FleetKeys.PUBLIC_KEY_ENV, approvalKeys.publicKey().toString());
    if (serviceOf(instance).equals("validator-service")) {
      env.put(FleetKeys.PRIVATE_KEY_ENV, approvalKeys.privateKey().toString());
    }
    try {
      services.put(instance, pb.start());
    } catch (IOException e) {
      throw new FleetStartException(
          instance, "cannot start " + command.get(0) + ": " + e.getMessage(), "");
    }
  }

  private void awaitReady(String service) {
    FleetProcesses.awaitHttpOk(
        service,
        services.get(service),
        managementUrl(service) + "/q/health/ready",
        SERVICE_READY,
        logDir().resolve(service + ".log"));
  }

  @Override
  public void close() {
    stopQuietly();
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // already shutting down: the hook is what is calling us
      }
    }
  }

  private synchronized void stopQuietly() {
    List<Process> all = new ArrayList<>(services.values());
    services.clear();
    all.forEach(Process::destroy);
    all.forEach(LocalFleet::awaitOrKill);
    if (broker != null) {
      broker.destroy();
      awaitOrKill(broker);
      broker = null;
    }
  }

  private static void awaitOrKill(Process p) {
    try {
      if (!p.waitFor(STOP_GRACE.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(STOP_GRACE.toSeconds(), TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
