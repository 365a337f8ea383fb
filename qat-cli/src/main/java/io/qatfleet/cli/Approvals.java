package io.qatfleet.cli;

import io.qatfleet.messaging.approval.ApprovalSignature;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.topic.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Finds the approval {@code qat verify} and {@code qat pull} act on, and verifies it before
 * anything else happens. Reads {@code qat.models} (the registry) and {@code qat.deploy} (every
 * approval) from their start to their current end, without a consumer group.
 *
 * <p>{@code model} alone names the registry's latest entry: the highest version on {@code
 * qat.models}, the later record on a tie, as the trainer's registry picks it for a retraining
 * trigger; that entry must verify. {@code model:version} names every approval of that version on
 * either topic; one that verifies is the answer (others that do not are reported as warnings), and
 * when none does the first refusal is the error.
 */
final class Approvals {

  /** How long reading the two topics to their end may take. */
  static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private static final Duration POLL = Duration.ofMillis(200);

  /** An approval as read: the topic and offset it came from. */
  record Found(String topic, long offset, ModelApproved approval) {}

  /** {@code model} or {@code model:version}, as the user wrote it. */
  record Ref(String model, Integer version) {
    static Ref parse(String text) {
      int colon = text.lastIndexOf(':');
      String model = colon < 0 ? text : text.substring(0, colon);
      Integer version = null;
      if (colon >= 0) {
        try {
          version = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
          version = -1;
        }
        if (version < 1) {
          throw new CliFailure(
              "MODEL[:VERSION] must end in a version >= 1, got '"
                  + text.substring(colon + 1)
                  + "'");
        }
      }
      if (!model.matches("[A-Za-z0-9._-]{1,100}")) {
        throw new CliFailure(
            "MODEL must be 1-100 characters of [A-Za-z0-9._-], got '" + model + "'");
      }
      return new Ref(model, version);
    }

    @Override
    public String toString() {
      return version == null ? model : model + ":" + version;
    }
  }

  /** The verified approval and what was refused on the way. */
  record Selected(ModelApproved approval, List<String> warnings) {}

  private Approvals() {}

  /** Every approval on {@code qat.models} and {@code qat.deploy} now, in offset order per topic. */
  static List<Found> read(KafkaClientSettings clients) {
    EventCodec codec = new EventCodec();
    List<Found> found = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        clients.consumer(
            "approvals",
            new StringDeserializer(),
            new ByteArrayDeserializer(),
            Map.of(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 << 20))) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : List.of(Topics.MODELS, Topics.DEPLOY)) {
        consumer
            .partitionsFor(topic, READ_TIMEOUT)
            .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, READ_TIMEOUT);
      long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
      while (!reached(consumer, end)) {
        if (System.nanoTime() - deadline > 0) {
          throw new CliFailure(
              "could not read "
                  + Topics.MODELS
                  + " and "
                  + Topics.DEPLOY
                  + " within "
                  + READ_TIMEOUT.toSeconds()
                  + " s");
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
          apply(codec, r, found);
        }
      }
    }
    return found;
  }

  private static void apply(EventCodec codec, ConsumerRecord<String, byte[]> r, List<Found> found) {
    if (r.value() == null) {
      // A tombstone removes the model from the registry.
      if (r.key() != null && r.topic().equals(Topics.MODELS)) {
        found.removeIf(
            f -> f.topic().equals(Topics.MODELS) && f.approval().modelName().equals(r.key()));
      }
      return;
    }
    try {
      QatEvent event = codec.decode(r.value());
      if (event instanceof ModelApproved a) {
        found.add(new Found(r.topic(), r.offset(), a));
      }
    } catch (EventDecodingException e) {
      // Not an approval this build reads: the service that wrote it owns its dead letter.
    }
  }

  private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey(), READ_TIMEOUT) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /**
   * The approval {@code ref} names, verified with {@code verifier} (class Javadoc).
   *
   * @throws CliFailure naming the model when there is none, or why the signature was refused
   */
  static Selected select(List<Found> all, Ref ref, ApprovalSignature verifier) {
    if (ref.version() == null) {
      Optional<Found> latest =
          all.stream()
              .filter(f -> f.topic().equals(Topics.MODELS))
              .filter(f -> f.approval().modelName().equals(ref.model()))
              .max(
                  Comparator.comparingInt((Found f) -> f.approval().version())
                      .thenComparingLong(Found::offset));
      if (latest.isEmpty()) {
        throw new CliFailure("no approved model '" + ref.model() + "' in " + Topics.MODELS);
      }
      return new Selected(check(latest.get().approval(), verifier), List.of());
    }
    List<Found> candidates =
        all.stream()
            .filter(f -> f.approval().modelName().equals(ref.model()))
            .filter(f -> f.approval().version() == ref.version())
            .toList();
    if (candidates.isEmpty()) {
      throw new CliFailure(
          "no approval of " + ref + " in " + Topics.MODELS + " or " + Topics.DEPLOY);
    }
    List<String> refused = new ArrayList<>();
    ModelApproved genuine = null;
    for (Found f : candidates) {
      try {
        ModelApproved a = verifier.verify(f.approval());
        if (genuine != null && !sameStatement(genuine, a)) {
          throw new CliFailure(
              "two differently signed approvals of "
                  + ref
                  + " (jobs "
                  + genuine.jobId()
                  + " and "
                  + a.jobId()
                  + "); refusing both");
        }
        genuine = genuine == null ? a : genuine;
      } catch (RejectedInputException e) {
        refused.add(
            "ignored the approval at "
                + f.topic()
                + "@"
                + f.offset()
                + ": "
                + e.reason()
                + ": "
                + e.getMessage());
      }
    }
    if (genuine == null) {
      throw new CliFailure(refused.get(0).substring(refused.get(0).indexOf(": ") + 2));
    }
    return new Selected(genuine, refused);
  }

  private static ModelApproved check(ModelApproved approval, ApprovalSignature verifier) {
    try {
      return verifier.verify(approval);
    } catch (RejectedInputException e) {
      throw new CliFailure(e.reason() + ": " + e.getMessage());
    }
  }

  private static boolean sameStatement(ModelApproved a, ModelApproved b) {
    return ApprovalSignature.canonicalForm(a).equals(ApprovalSignature.canonicalForm(b));
  }
}
