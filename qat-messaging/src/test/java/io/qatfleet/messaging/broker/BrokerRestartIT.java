package io.qatfleet.messaging.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.KafkaCheckpointStore;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Long-lived readers across a broker that is SIGKILLed and restarted on the same port and log
 * directory, twice, as {@code LocalFleet.killBroker()}/{@code restartBroker()} do in the chaos
 * bench: each must see what is written after the restarts, like a fresh reader does.
 */
class BrokerRestartIT {

  private static final Logger LOG = LoggerFactory.getLogger(BrokerRestartIT.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final String CHECKPOINTS = "qat.restart-checkpoints";
  private static final int CHECKPOINT_PARTITIONS = 3;
  private static final int CHUNK_BYTES = 1024;

  @TempDir Path logDir;

  private int port;
  private Process broker;
  private String bootstrap;
  private KafkaClientSettings clients;

  @BeforeEach
  void startBroker() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    start();
    clients = KafkaClientSettings.bootstrap(bootstrap, "restart-it");
  }

  @AfterEach
  void stopBroker() throws InterruptedException {
    if (broker != null) {
      broker.destroy();
      if (!broker.waitFor(30, TimeUnit.SECONDS)) {
        broker.destroyForcibly().waitFor();
      }
    }
  }

  /**
   * (a) A long-lived store that indexed its partition before the restarts reads the checkpoints put
   * after them, however they fall into its fetches: here two land on one partition before the first
   * is read, as the services' delayed puts did once the broker was back.
   */
  @Test
  void longLivedCheckpointStoreFindsCheckpointsPutAfterRestarts() throws Exception {
    createTopic(CHECKPOINTS, CHECKPOINT_PARTITIONS);
    Random random = new Random(7);
    List<byte[]> onOnePartition = samePartition(random, 3);
    try (KafkaCheckpointStore writer = store();
        KafkaCheckpointStore reader = store()) {
      CheckpointRef before = writer.put(onOnePartition.get(0));
      assertThat(reader.get(before, READ_TIMEOUT)).isEqualTo(onOnePartition.get(0));

      killAndRestartTwice();

      CheckpointRef first = writer.put(onOnePartition.get(1));
      CheckpointRef second = writer.put(onOnePartition.get(2));
      assertThat(reader.get(first, READ_TIMEOUT)).isEqualTo(onOnePartition.get(1));
      assertThat(reader.get(second, READ_TIMEOUT)).isEqualTo(onOnePartition.get(2));
      try (KafkaCheckpointStore fresh = store()) {
        assertThat(fresh.get(second, READ_TIMEOUT)).isEqualTo(onOnePartition.get(2));
      }
    }
  }

  /**
   * (b) A plain read_committed consumer like {@code EventTail} (assign, seekToBeginning, one
   * polling thread), on a partition written before the kill and one first written after it.
   */
  @Test
  void longLivedConsumerSeesRecordsWrittenAfterRestarts() throws Exception {
    String topic = "qat.restart-events";
    createTopic(topic, 2);
    try (Tail tail = new Tail(topic, 2)) {
      send(topic, 0, "before-0");
      tail.await("before-0");

      killAndRestartTwice();

      send(topic, 0, "after-0");
      send(topic, 1, "after-1");
      tail.await("after-0", "after-1");
    }
  }

  /**
   * (c) As (b), with a transactional producer that had sent records of an open transaction when the
   * broker was killed and never comes back: once the coordinator aborts that transaction (after its
   * transaction.timeout.ms), the records committed after it are read.
   */
  @Test
  void longLivedConsumerSeesCommitsAfterTransactionOpenAtKill() throws Exception {
    String topic = "qat.restart-tx";
    createTopic(topic, 1);
    try (Tail tail = new Tail(topic, 1)) {
      committed(topic, "tx-before");
      tail.await("tx-before");

      Map<String, Object> config = new HashMap<>(KafkaClientSettings.durableProducer());
      config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "restart-it-open");
      config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000);
      KafkaProducer<String, String> open =
          clients.producer("open-tx", new StringSerializer(), new StringSerializer(), config);
      open.initTransactions();
      open.beginTransaction();
      open.send(new ProducerRecord<>(topic, 0, "k", "tx-open")).get(30, TimeUnit.SECONDS);

      killAndRestartTwice();
      open.close(Duration.ZERO); // the writer died with the broker

      committed(topic, "tx-after");
      tail.await("tx-after");
      assertThat(tail.values()).doesNotContain("tx-open");
      assertThat(readFresh(topic, 1)).contains("tx-before", "tx-after").doesNotContain("tx-open");
    }
  }

  private KafkaCheckpointStore store() {
    return new KafkaCheckpointStore(clients, CHECKPOINTS, CHUNK_BYTES);
  }

  /** {@code n} checkpoints of three chunks each whose chunks all go to one partition. */
  private static List<byte[]> samePartition(Random random, int n) {
    List<byte[]> out = new ArrayList<>();
    int partition = -1;
    while (out.size() < n) {
      byte[] bytes = new byte[3 * CHUNK_BYTES - 17];
      random.nextBytes(bytes);
      int p =
          KafkaCheckpointStore.partitionFor(
              CheckpointRef.of(bytes).sha256(), CHECKPOINT_PARTITIONS);
      if (partition < 0) {
        partition = p;
      }
      if (p == partition) {
        out.add(bytes);
      }
    }
    return out;
  }

  private void killAndRestartTwice() throws Exception {
    for (int i = 0; i < 2; i++) {
      LOG.info("SIGKILL broker (pid {})", broker.pid());
      broker.destroyForcibly();
      assertThat(broker.waitFor(30, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(2000);
      start();
      LOG.info("broker restarted on {}", bootstrap);
      Thread.sleep(3000);
    }
  }

  private void createTopic(String topic, int partitions) throws Exception {
    try (Admin admin = clients.admin("admin")) {
      admin
          .createTopics(List.of(new NewTopic(topic, partitions, (short) 1)))
          .all()
          .get(60, TimeUnit.SECONDS);
    }
  }

  private void send(String topic, int partition, String value) throws Exception {
    try (KafkaProducer<String, String> producer =
        clients.producer(
            "send",
            new StringSerializer(),
            new StringSerializer(),
            KafkaClientSettings.durableProducer())) {
      producer.send(new ProducerRecord<>(topic, partition, "k", value)).get(60, TimeUnit.SECONDS);
    }
  }

  private void committed(String topic, String value) throws Exception {
    Map<String, Object> config = new HashMap<>(KafkaClientSettings.durableProducer());
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "restart-it-committer");
    try (KafkaProducer<String, String> producer =
        clients.producer("commit", new StringSerializer(), new StringSerializer(), config)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, 0, "k", value));
      producer.commitTransaction();
    }
  }

  private List<String> readFresh(String topic, int partitions) {
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        clients.consumer("fresh", new StringDeserializer(), new StringDeserializer(), Map.of())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        tps.add(new TopicPartition(topic, p));
      }
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      Map<TopicPartition, Long> end = consumer.endOffsets(tps);
      long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline
          && tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(r.value());
        }
      }
    }
    return out;
  }

  /** What EventTail does: one consumer, assigned, from the beginning, polled by one thread. */
  private final class Tail implements AutoCloseable {
    private final KafkaConsumer<String, String> consumer;
    private final List<String> values = new CopyOnWriteArrayList<>();
    private final Thread poller;
    private volatile Throwable failure;
    private volatile boolean running = true;

    Tail(String topic, int partitions) {
      consumer =
          clients.consumer("tail", new StringDeserializer(), new StringDeserializer(), Map.of());
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        tps.add(new TopicPartition(topic, p));
      }
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      poller =
          new Thread(
              () -> {
                try {
                  while (running) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                      values.add(r.value());
                    }
                  }
                } catch (WakeupException e) {
                  // closing
                } catch (Throwable t) {
                  LOG.error("tail poller died", t);
                  failure = t;
                } finally {
                  consumer.close(Duration.ZERO);
                }
              },
              "restart-it-tail");
      poller.setDaemon(true);
      poller.start();
    }

    List<String> values() {
      return List.copyOf(values);
    }

    void await(String... expected) throws InterruptedException {
      long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline && !values.containsAll(List.of(expected))) {
        Thread.sleep(200);
      }
      assertThat(failure).as("tail poller failure").isNull();
      assertThat(values).as("records the long-lived tail saw").contains(expected);
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      consumer.wakeup();
      poller.join(5000);
    }
  }

  private void start() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    broker =
        new ProcessBuilder(
                java,
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-cp",
                System.getProperty("java.class.path"),
                KafkaBrokerMain.class.getName(),
                "--port",
                Integer.toString(port),
                "--log-dir",
                logDir.resolve("data").toString())
            .redirectErrorStream(true)
            .start();
    bootstrap = awaitReady(broker, Path.of("target", "broker-restart-it.log"));
  }

  /** The bootstrap address from the readiness line; all output goes to {@code log}. */
  private static String awaitReady(Process process, Path log) throws Exception {
    CompletableFuture<String> ready = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                      new BufferedReader(
                          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                  Writer out =
                      Files.newBufferedWriter(
                          log,
                          StandardCharsets.UTF_8,
                          StandardOpenOption.CREATE,
                          StandardOpenOption.APPEND)) {
                String line;
                while ((line = in.readLine()) != null) {
                  out.write(line);
                  out.write('\n');
                  out.flush();
                  if (line.startsWith(KafkaBrokerMain.READY_PREFIX)) {
                    ready.complete(
                        line.substring(KafkaBrokerMain.READY_PREFIX.length()).split(" ")[0]);
                  }
                }
              } catch (IOException e) {
                ready.completeExceptionally(e);
              }
              ready.completeExceptionally(new IllegalStateException("broker exited"));
            });
    reader.setDaemon(true);
    reader.start();
    try {
      return ready.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("broker not ready; see " + log, e);
    }
  }
}
