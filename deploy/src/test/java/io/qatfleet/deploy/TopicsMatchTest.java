package io.qatfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.messaging.topic.TopicSpec;
import io.qatfleet.messaging.topic.Topics;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The KafkaTopics are exactly Topics.ALL: names, partitions and topic configs. */
class TopicsMatchTest {

  @Test
  void declaresEveryTopicOfTopicsWithItsSpec() {
    List<JsonNode> topics =
        MiniKustomize.build(Yaml.DEPLOY.resolve("overlays/prod")).stream()
            .filter(d -> d.path("kind").asText().equals("KafkaTopic"))
            .map(JsonNode.class::cast)
            .toList();
    Map<String, JsonNode> byName =
        topics.stream().collect(Collectors.toMap(t -> t.at("/spec/topicName").asText(), t -> t));
    assertThat(byName.keySet())
        .containsExactlyInAnyOrderElementsOf(Topics.ALL.stream().map(TopicSpec::name).toList());
    for (TopicSpec spec : Topics.ALL) {
      JsonNode t = byName.get(spec.name());
      assertThat(t.at("/spec/partitions").asInt()).as(spec.name()).isEqualTo(spec.partitions());
      assertThat(CrossReferencesTest.configOf(t))
          .as(spec.name())
          .isEqualTo(new TreeMap<>(spec.configs()));
      assertThat(t.at("/metadata/labels/strimzi.io~1cluster").asText()).isEqualTo("qat-kafka");
    }
  }
}
