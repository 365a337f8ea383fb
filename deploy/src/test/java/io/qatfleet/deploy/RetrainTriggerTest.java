package io.qatfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.event.RetrainTriggered;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example trigger script sends an event the trainer decodes, keyed by the model name. */
class RetrainTriggerTest {

  @Test
  void sendsRetrainTriggeredKeyedByModel(@TempDir Path tmp) throws Exception {
    JsonNode cm = Yaml.documents(Yaml.DEPLOY.resolve("examples/retrain-trigger.yaml")).get(0);
    Path script = tmp.resolve("trigger.sh");
    Files.writeString(script, cm.at("/data/trigger.sh").asText());
    // Stands in for Kafka's console producer: records its stdin and arguments.
    Path bin = Files.createDirectories(tmp.resolve("kafka/bin"));
    Path producer = bin.resolve("kafka-console-producer.sh");
    Files.writeString(
        producer,
        "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/args\"\ncat > \"$(dirname \"$0\")/in\"\n");
    producer.toFile().setExecutable(true);
    ProcessBuilder pb = new ProcessBuilder("sh", script.toString()).redirectErrorStream(true);
    pb.environment().put("KAFKA_HOME", tmp.resolve("kafka").toString());
    pb.environment().put("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092");
    pb.environment().put("MODEL_NAME", "fashion-cnn-w4a4");
    pb.environment().put("REASON", "SCHEDULED");
    pb.environment().put("JOB_NAME", "retrain-fashion-cnn-w4a4-29012345");
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();

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
  }
}
