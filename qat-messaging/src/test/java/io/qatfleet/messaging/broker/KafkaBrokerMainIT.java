package io.qatfleet.messaging.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker as the local run starts it: a separate JVM, a readiness line, a kept log dir. */
class KafkaBrokerMainIT {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final String TOPIC = "qat.main-it";

  @TempDir Path logDir;

  @Test
  void servesRecordsAndKeepsThemAcrossRestart() throws Exception {
    Process first = startBroker();
    try {
      String bootstrap = awaitReady(first);
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(
              Map.of("bootstrap.servers", bootstrap),
              new StringSerializer(),
              new StringSerializer())) {
        producer.send(new ProducerRecord<>(TOPIC, "job-1", "hello")).get(30, TimeUnit.SECONDS);
      }
    } finally {
      stop(first);
    }

    Process second = startBroker();
    try {
      String bootstrap = awaitReady(second);
      assertThat(readAll(bootstrap)).containsExactly("job-1=hello");
    } finally {
      stop(second);
    }
  }

  private Process startBroker() throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            KafkaBrokerMain.class.getName(),
            "--port",
            "0",
            "--log-dir",
            logDir.toString())
        .redirectErrorStream(true)
        .start();
  }

  /** The bootstrap address from the readiness line; the rest of the output is drained. */
  private static String awaitReady(Process process) throws Exception {
    CompletableFuture<String> ready = new CompletableFuture<>();
    List<String> output = new ArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  synchronized (output) {
                    output.add(line);
                  }
                  if (line.startsWith(KafkaBrokerMain.READY_PREFIX)) {
                    ready.complete(
                        line.substring(KafkaBrokerMain.READY_PREFIX.length()).split(" ")[0]);
                  }
                }
              } catch (IOException e) {
                ready.completeExceptionally(e);
              }
              ready.completeExceptionally(new IllegalStateException("broker exited: " + output));
            });
    reader.setDaemon(true);
    reader.start();
    return ready.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  private static void stop(Process process) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }

  private static List<String> readAll(String bootstrap) {
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(
            Map.of("bootstrap.servers", bootstrap),
            new StringDeserializer(),
            new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(TOPIC, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (consumer.position(tp) < end && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(r.key() + "=" + r.value());
        }
      }
    }
    return out;
  }
}
