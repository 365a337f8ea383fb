package io.qatfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.RetrainTriggered;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example trigger script sends an event the trainer decodes, keyed by the model name, with the
 * connection settings it is given (the CronJob's: TLS and its KafkaUser's SCRAM login).
 */
class RetrainTriggerTest {

  /**
   * Runs the script against a stand-in for Kafka's console producer that records its stdin, its
   * arguments and a copy of its --producer.config file (with that file's mode).
   */
  private static Path run(Path tmp, Map<String, String> env) throws Exception {
    JsonNode cm = Fleet.find(Fleet.examples(), "ConfigMap", "retrain-trigger");
    Path script = tmp.resolve("trigger.sh");
    Files.writeString(script, cm.at("/data/trigger.sh").asText());
    Path bin = Files.createDirectories(tmp.resolve("kafka/bin"));
    Path producer = bin.resolve("kafka-console-producer.sh");
    Files.writeString(
        producer,
        """
        #!/bin/sh
        d=$(dirname "$0")
        echo "$@" > "$d/args"
        while [ $# -gt 0 ]; do
          if [ "$1" = --producer.config ]; then cp "$2" "$d/config"; stat -c %a "$2" > "$d/mode"; fi
          shift
        done
        cat > "$d/in"
        """);
    producer.toFile().setExecutable(true);
    Path scratch = Files.createDirectories(tmp.resolve("scratch"));
    ProcessBuilder pb = new ProcessBuilder("sh", script.toString()).redirectErrorStream(true);
    pb.environment().put("KAFKA_HOME", tmp.resolve("kafka").toString());
    pb.environment().put("TMPDIR", scratch.toString());
    pb.environment().put("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092");
    pb.environment().put("MODEL_NAME", "fashion-cnn-w4a4");
    pb.environment().put("REASON", "SCHEDULED");
    pb.environment().put("JOB_NAME", "retrain-fashion-cnn-w4a4-29012345");
    pb.environment().putAll(env);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    try (var left = Files.list(scratch)) {
      assertThat(left).as("the producer settings are removed").isEmpty();
    }
    return bin;
  }

  private static Map<String, String> producerConfig(Path bin) throws Exception {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(bin.resolve("config"))) {
      p.load(r);
    }
    Map<String, String> config = new TreeMap<>();
    p.stringPropertyNames().forEach(k -> config.put(k, p.getProperty(k)));
    return config;
  }

  @Test
  void sendsRetrainTriggeredKeyedByModel(@TempDir Path tmp) throws Exception {
    Path bin = run(tmp, Map.of());

    String line = Files.readString(bin.resolve("in")).strip();
    int bar = line.indexOf('|');
    assertThat(line.substring(0, bar)).isEqualTo("fashion-cnn-w4a4");
    QatEvent event =
        new EventCodec().decode(line.substring(bar + 1).getBytes(StandardCharsets.UTF_8));
    assertThat(event).isInstanceOf(RetrainTriggered.class);
    RetrainTriggered trigger = (RetrainTriggered) event;
    assertThat(trigger.modelName()).isEqualTo("fashion-cnn-w4a4");
    assertThat(trigger.reason()).isEqualTo(RetrainTriggered.Reason.SCHEDULED);
    assertThat(trigger.jobId()).isEqualTo("trigger-retrain-fashion-cnn-w4a4-29012345");
    assertThat(Files.readString(bin.resolve("args")))
        .contains("--topic qat.triggers", "--bootstrap-server kafka:9092", "parse.key=true");
    assertThat(producerConfig(bin)).isEqualTo(Map.of("acks", "all"));
  }

  @Test
  void givesTheProducerTheLoginInAFileOnlyItsUserReads(@TempDir Path tmp) throws Exception {
    // Strimzi's passwords are alphanumeric; a backslash shows the value survives the file format.
    String jaas =
        "org.apache.kafka.common.security.scram.ScramLoginModule required"
            + " username=\"retrain-trigger\" password=\"s3cr\\et\";";
    Path bin =
        run(
            tmp,
            Map.of(
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "KAFKA_SASL_JAAS_CONFIG", jaas,
                "KAFKA_SSL_TRUSTSTORE_TYPE", "PEM",
                "KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/qat/kafka-ca/ca.crt"));
    assertThat(producerConfig(bin))
        .isEqualTo(
            Map.of(
                "acks", "all",
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", jaas,
                "ssl.truststore.type", "PEM",
                "ssl.truststore.location", "/etc/qat/kafka-ca/ca.crt"));
    assertThat(Files.readString(bin.resolve("mode")).strip()).isEqualTo("600");
  }
}
