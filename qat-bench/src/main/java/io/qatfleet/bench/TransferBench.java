package io.qatfleet.bench;

import io.qatfleet.cli.KafkaAccess;
import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.CheckpointKind;
import io.qatfleet.core.checkpoint.Provenance;
import io.qatfleet.core.checkpoint.TensorData;
import io.qatfleet.core.json.Json;
import io.qatfleet.messaging.broker.EmbeddedKafka;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import io.qatfleet.messaging.checkpoint.LocalDirCheckpointStore;
import io.qatfleet.messaging.topic.TopicAdmin;
import io.qatfleet.messaging.topic.Topics;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code qat bench transfer}: how fast a checkpoint travels through Kafka. An in-process broker
 * gets the fleet's topics as the services create them; then, per size, a checkpoint-shaped payload
 * (the safetensors codec over random float32 tensors) is put by one {@link KafkaCheckpointStore}
 * and got back by another, as from one service to the next, {@code --repeats} times. The baseline,
 * measured alternately in the same run, is the same bytes through a {@link LocalDirCheckpointStore}
 * on disk.
 */
@Command(
    name = "transfer",
    mixinStandardHelpOptions = true,
    description =
        "Checkpoint transfer through Kafka (KafkaCheckpointStore, in-process broker) against the"
            + " same bytes through a directory on disk.")
public final class TransferBench implements Callable<Integer> {
  /** Megabyte of the tables: 10^6 bytes. */
  static final double MB = 1_000_000.0;

  /** Largest checkpoint size accepted: several copies of it are held in memory at once. */
  static final int MAX_SIZE_MB = 1024;

  /** Room left for the safetensors header when sizing the tensors of a payload. */
  private static final int HEADER_ROOM = 4096;

  private static final Duration GET_TIMEOUT = Duration.ofMinutes(5);
  private static final int WARM_UP_BYTES = 1_000_000;

  @Spec CommandSpec spec;

  @Option(
      names = "--sizes-mb",
      split = ",",
      paramLabel = "MB",
      defaultValue = "1,10,50",
      description =
          "Checkpoint sizes in MB (10^6 bytes), 1 to "
              + MAX_SIZE_MB
              + "; default ${DEFAULT-VALUE}.")
  List<Integer> sizesMb;

  @Option(
      names = "--repeats",
      defaultValue = "5",
      description = "Transfers per size and store (default ${DEFAULT-VALUE}).")
  int repeats;

  @Option(
      names = "--out",
      defaultValue = "docs/benchmarks/pipeline-transfer.md",
      description = "Markdown file the table goes to (default ${DEFAULT-VALUE}).")
  Path out;

  /** One put and one get of a checkpoint. */
  record Transfer(long bytes, double putSeconds, double getSeconds) {
    double putMbPerSecond() {
      return bytes / MB / putSeconds;
    }

    double getMbPerSecond() {
      return bytes / MB / getSeconds;
    }

    double roundTripMbPerSecond() {
      return bytes / MB / (putSeconds + getSeconds);
    }
  }

  /** Every measurement of one size: through Kafka, through the disk, and hashing alone. */
  record SizeResult(
      int sizeMb,
      long bytes,
      int chunks,
      List<Transfer> kafka,
      List<Transfer> disk,
      List<Double> shaSeconds) {}

  @Override
  public Integer call() throws IOException {
    List<String> problems = problems(sizesMb, repeats);
    if (!problems.isEmpty()) {
      throw new ParameterException(spec.commandLine(), String.join("; ", problems));
    }
    // The broker runs in this JVM: its warnings and the clients' would drown the progress lines.
    KafkaAccess.quietClientLogs();
    PrintStream console = System.out;
    String command = BenchReport.command(spec.commandLine().getParseResult().originalArgs());
    MachineInfo machine = MachineInfo.current();
    double load = BenchReport.loadAverage();
    Path work = Files.createTempDirectory("qat-bench-transfer-");
    List<SizeResult> results = new ArrayList<>();
    String fileSystem = Files.getFileStore(work).type();
    console.println("starting an in-process Kafka broker ...");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      try (Admin admin =
          Admin.create(
              Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
        TopicAdmin.ensureTopics(admin);
      }
      try (KafkaCheckpointStore writer = new KafkaCheckpointStore(kafka.bootstrapServers());
          KafkaCheckpointStore reader = new KafkaCheckpointStore(kafka.bootstrapServers());
          LocalDirCheckpointStore disk = new LocalDirCheckpointStore(work.resolve("store"))) {
        warmUp(writer, reader, disk, work.resolve("store"));
        for (int size : sizesMb) {
          results.add(measure(size, writer, reader, disk, work.resolve("store"), console));
        }
      }
    } finally {
      deleteTree(work);
    }
    String text =
        BenchReport.header("Checkpoint transfer through Kafka", machine, command, load)
            + report(results, KafkaCheckpointStore.DEFAULT_CHUNK_BYTES, fileSystem);
    console.println();
    BenchReport.publish(text, out, console);
    return 0;
  }

  /** What is wrong with the arguments; empty when nothing is. */
  static List<String> problems(List<Integer> sizesMb, int repeats) {
    List<String> out = new ArrayList<>();
    if (sizesMb == null || sizesMb.isEmpty()) {
      out.add("--sizes-mb: name at least one size");
    } else {
      for (Integer s : sizesMb) {
        if (s == null || s < 1 || s > MAX_SIZE_MB) {
          out.add("--sizes-mb: each size must be 1 to " + MAX_SIZE_MB + " MB, got " + s);
        }
      }
    }
    if (repeats < 1) {
      out.add("--repeats: must be at least 1, got " + repeats);
    }
    return out;
  }

  /**
   * One checkpoint per partition of the checkpoint topic through Kafka, and one through the disk,
   * before anything is timed: the code is warm and the reader has scanned every partition, as in a
   * service that has been running for a while (a reader's first get of a partition scans it from
   * its start).
   */
  private static void warmUp(
      KafkaCheckpointStore writer, KafkaCheckpointStore reader, CheckpointStore disk, Path dir)
      throws IOException {
    int partitions = Topics.CHECKPOINTS_SPEC.partitions();
    boolean[] done = new boolean[partitions];
    int left = partitions;
    for (long seed = 1; left > 0; seed++) {
      byte[] bytes = payload(WARM_UP_BYTES, -seed);
      CheckpointRef ref = CheckpointRef.of(bytes);
      int p = KafkaCheckpointStore.partitionFor(ref.sha256(), partitions);
      if (!done[p]) {
        reader.get(writer.put(bytes), GET_TIMEOUT);
        done[p] = true;
        left--;
      }
    }
    byte[] bytes = payload(WARM_UP_BYTES, 0);
    CheckpointRef ref = disk.put(bytes);
    disk.get(ref, GET_TIMEOUT);
    Files.deleteIfExists(dir.resolve(ref.sha256()));
  }

  private SizeResult measure(
      int sizeMb,
      KafkaCheckpointStore writer,
      KafkaCheckpointStore reader,
      CheckpointStore disk,
      Path dir,
      PrintStream console)
      throws IOException {
    List<Transfer> kafka = new ArrayList<>();
    List<Transfer> local = new ArrayList<>();
    List<Double> sha = new ArrayList<>();
    long bytesOfSize = 0;
    for (int r = 1; r <= repeats; r++) {
      // A new checkpoint every time: a store does not put the same bytes twice.
      byte[] bytes = payload((long) sizeMb * 1_000_000L, 1000L * sizeMb + r);
      bytesOfSize = bytes.length;
      System.gc();
      long t0 = System.nanoTime();
      CheckpointRef.sha256Hex(bytes);
      sha.add(seconds(t0, System.nanoTime()));
      // Alternate which store goes first, so that a change in the machine's load hits both.
      if (r % 2 == 1) {
        kafka.add(transfer(writer, reader, bytes));
        local.add(transfer(disk, disk, bytes));
      } else {
        local.add(transfer(disk, disk, bytes));
        kafka.add(transfer(writer, reader, bytes));
      }
      Files.deleteIfExists(dir.resolve(CheckpointRef.of(bytes).sha256()));
      Transfer k = kafka.get(kafka.size() - 1);
      Transfer d = local.get(local.size() - 1);
      console.printf(
          Locale.ROOT,
          "%d MB, transfer %d/%d: Kafka put %.0f MB/s, get %.0f MB/s; disk put %.0f MB/s, get %.0f"
              + " MB/s%n",
          sizeMb,
          r,
          repeats,
          k.putMbPerSecond(),
          k.getMbPerSecond(),
          d.putMbPerSecond(),
          d.getMbPerSecond());
    }
    int chunks = (int) ((bytesOfSize + writer.chunkBytes() - 1) / writer.chunkBytes());
    return new SizeResult(sizeMb, bytesOfSize, chunks, kafka, local, sha);
  }

  private static Transfer transfer(CheckpointStore writer, CheckpointStore reader, byte[] bytes) {
    long t0 = System.nanoTime();
    CheckpointRef ref = writer.put(bytes);
    long t1 = System.nanoTime();
    byte[] back = reader.get(ref, GET_TIMEOUT);
    long t2 = System.nanoTime();
    if (!Arrays.equals(back, bytes)) {
      throw new IllegalStateException("checkpoint " + ref.shortId() + " came back different");
    }
    return new Transfer(bytes.length, seconds(t0, t1), seconds(t1, t2));
  }

  /**
   * A float checkpoint of about {@code bytes} bytes as the codec writes it: random float32 tensors
   * laid out like a small CNN's kernels and biases (most bytes in the first dense layer), a model
   * spec and a provenance, safetensors-encoded. The tensors depend on the seed only.
   */
  static byte[] payload(long bytes, long seed) {
    long floats = Math.max(1024, (bytes - HEADER_ROOM) / Float.BYTES);
    if (floats > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException("payload of " + bytes + " bytes is too large");
    }
    SplittableRandom random = new SplittableRandom(seed);
    double[] shares = {0.01, 0.09, 0.85, 0.05};
    int[] biases = {32, 64, 128, 10};
    Map<String, TensorData> tensors = new LinkedHashMap<>();
    long left = floats - Arrays.stream(biases).sum();
    for (int layer = 0; layer < shares.length; layer++) {
      long n = layer == shares.length - 1 ? left : Math.max(1, (long) (floats * shares[layer]));
      n = Math.min(n, left - (shares.length - 1 - layer));
      left -= n;
      tensors.put("layer" + layer + ".kernel", floats((int) n, random));
      tensors.put("layer" + layer + ".bias", floats(biases[layer], random));
    }
    Checkpoint checkpoint =
        new Checkpoint(
            CheckpointKind.FLOAT,
            tensors,
            Json.MAPPER
                .createObjectNode()
                .put("architecture", "cnn")
                .put("note", "qat bench transfer payload"),
            null,
            new Provenance("bench-transfer", 0, null, "random", "bench", Instant.now().toString()));
    return new CheckpointCodec().encode(checkpoint).bytes();
  }

  private static TensorData floats(int n, SplittableRandom random) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) ((random.nextDouble() - 0.5) * 0.2);
    }
    return TensorData.ofFloats(new long[] {n}, values);
  }

  /** The tables and notes below the header. */
  static String report(List<SizeResult> results, int chunkBytes, String fileSystem) {
    StringBuilder out = new StringBuilder();
    MarkdownTable table =
        new MarkdownTable(
            "checkpoint",
            "path",
            "put MB/s",
            "get MB/s",
            "round trip MB/s",
            "round trip ms",
            "vs disk (round trip)");
    for (SizeResult r : results) {
      String size =
          String.format(
              Locale.ROOT,
              "%.2f MB, %d chunk%s",
              r.bytes() / MB,
              r.chunks(),
              r.chunks() == 1 ? "" : "s");
      Stats kafkaRoundTrip = spread(r.kafka(), Transfer::roundTripMbPerSecond);
      Stats diskRoundTrip = spread(r.disk(), Transfer::roundTripMbPerSecond);
      table.row(
          size,
          "Kafka: KafkaCheckpointStore put, another one's get",
          BenchReport.quote(spread(r.kafka(), Transfer::putMbPerSecond), 0),
          BenchReport.quote(spread(r.kafka(), Transfer::getMbPerSecond), 0),
          BenchReport.quote(kafkaRoundTrip, 0),
          BenchReport.quote(spread(r.kafka(), t -> 1000 * (t.putSeconds() + t.getSeconds())), 1),
          String.format(Locale.ROOT, "%.2f×", kafkaRoundTrip.median() / diskRoundTrip.median()));
      table.row(
          size,
          "baseline: disk, LocalDirCheckpointStore",
          BenchReport.quote(spread(r.disk(), Transfer::putMbPerSecond), 0),
          BenchReport.quote(spread(r.disk(), Transfer::getMbPerSecond), 0),
          BenchReport.quote(diskRoundTrip, 0),
          BenchReport.quote(spread(r.disk(), t -> 1000 * (t.putSeconds() + t.getSeconds())), 1),
          "1.00×");
      table.row(
          size,
          "SHA-256 of the bytes alone (one pass)",
          BenchReport.quote(
              Stats.of(r.shaSeconds().stream().map(s -> r.bytes() / MB / s).toList()), 0),
          "—",
          "—",
          "—",
          "—");
    }
    int repeats = results.isEmpty() ? 0 : results.get(0).kafka().size();
    out.append(
        String.format(
            Locale.ROOT,
            "Median (min–max) of %d transfers per size and path; MB = 10^6 bytes.%n%n",
            repeats));
    out.append(table.render());
    out.append('\n');
    out.append(
        "Goal: ≥ 100 MB/s checkpoint transfer through Kafka on loopback (round trip, median):");
    for (SizeResult r : results) {
      double median = spread(r.kafka(), Transfer::roundTripMbPerSecond).median();
      out.append(
          String.format(
              Locale.ROOT,
              " %d MB %.0f MB/s, %s;",
              r.sizeMb(),
              median,
              median >= 100 ? "met" : "not met"));
    }
    out.setLength(out.length() - 1);
    out.append(".\n\n");
    out.append(notes(chunkBytes, fileSystem));
    return out.toString();
  }

  private static String notes(int chunkBytes, String fileSystem) {
    return String.format(
        Locale.ROOT,
        """
        Notes:

        - **What is timed.** *put*: from the call until the broker acknowledged every chunk
          (`acks=all`, idempotent producer). *get*: a second store, as in the next service, reads
          the checkpoint's partition from where its last scan stopped with a consumer kept from its
          previous get, reassembles and verifies. *Round trip*: put then get, one after the other,
          as a checkpoint goes from one service to the next; MB/s = checkpoint bytes / seconds.
        - **What each side does.** `put` hashes the checkpoint once (SHA-256, its content address;
          in the services the codec computes it when it encodes the checkpoint and the store takes
          it from there, so they hash once too), then cuts %d KiB chunks, each copied out just
          before it is sent, so the producer ships the first batches while later chunks are cut.
          Each chunk is a record keyed by the digest (all in one partition, in order) with five
          headers (digest, index, count, total bytes, chunk size); batches hold up to four chunks.
          `get` feeds each chunk into a running SHA-256 as soon as the chunks before it have
          arrived, copies it once into the result, and compares digest and size at the end, while
          the next fetch is in flight; the services decode what it returns without hashing again. So
          every byte is hashed once on each side; the *SHA-256 alone* row is the cost of one such
          pass on this CPU.
        - **Broker.** A single-node KRaft broker inside this JVM (`EmbeddedKafka`), topics created by
          `TopicAdmin` exactly as the services create them (`qat.checkpoints`: %d partitions), on
          loopback. Broker, producer and consumer share this process and the machine's cores.
        - **Baseline.** `LocalDirCheckpointStore`: put writes a temporary file and renames it into
          place (no fsync, so the page cache absorbs it), get reads the file and verifies its SHA-256.
          It and the broker's log directory are on the same file system (%s).
        - **Load.** The load average in the header counts every process on the machine (here
          other builds and tests); above the 2 cores, broker, producer and consumer wait for a core
          and the rates fall with it.
        - **Warm-up.** One 1 MB checkpoint through each partition and one through the disk before
          anything is timed; Kafka and disk alternate which goes first in each repeat.
        """,
        chunkBytes / 1024,
        Topics.CHECKPOINTS_SPEC.partitions(),
        fileSystem);
  }

  private static Stats spread(List<Transfer> transfers, ToDoubleFunction<Transfer> metric) {
    return Stats.of(transfers.stream().map(t -> metric.applyAsDouble(t)).toList());
  }

  private static double seconds(long from, long to) {
    return Math.max(1, to - from) / 1e9;
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }
}
