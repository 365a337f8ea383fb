package io.qatfleet.messaging.topic;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.messaging.testing.KafkaBrokerExtension;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaBrokerExtension.class)
class TopicAdminIT {

  private Admin admin;

  @BeforeEach
  void connect() {
    admin = Admin.create(KafkaBrokerExtension.clientConfig());
  }

  @AfterEach
  void disconnect() {
    admin.close();
  }

  @Test
  void createsEveryTopicWithItsPartitionsAndConfigs() throws Exception {
    TopicAdmin.ensureTopics(admin);

    Set<String> names = Topics.ALL.stream().map(TopicSpec::name).collect(Collectors.toSet());
    Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get();
    List<ConfigResource> resources =
        names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
    Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();

    for (TopicSpec spec : Topics.ALL) {
      assertThat(described.get(spec.name()).partitions()).hasSize(spec.partitions());
      Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, spec.name()));
      assertThat(config.get("cleanup.policy").value())
          .as(spec.name())
          .isEqualTo(spec.cleanupPolicy());
      assertThat(config.get("retention.ms").value())
          .as(spec.name())
          .isEqualTo(Long.toString(spec.retentionMs()));
      assertThat(config.get("max.message.bytes").value())
          .as(spec.name())
          .isEqualTo(Integer.toString(spec.maxMessageBytes()));
    }
  }

  @Test
  void configuresRegistryAsCompactedAndKeptForever() throws Exception {
    TopicAdmin.ensureTopics(admin);
    ConfigResource models = new ConfigResource(ConfigResource.Type.TOPIC, "qat.models");
    Config config = admin.describeConfigs(List.of(models)).all().get().get(models);
    assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
    assertThat(config.get("retention.ms").value()).isEqualTo("-1");
  }

  @Test
  void createsNothingWhenTopicsExist() {
    TopicAdmin.ensureTopics(admin);
    assertThat(TopicAdmin.ensureTopics(admin)).isEmpty();
  }

  @Test
  void leavesTopicCreatedElsewhereAsItIs() throws Exception {
    TopicSpec a = new TopicSpec("qat.test.a", 2, null, "delete", 4096);
    TopicSpec b = new TopicSpec("qat.test.b", 1, null, "delete", 4096);
    admin
        .createTopics(List.of(new NewTopic(a.name(), Optional.of(1), Optional.empty())))
        .all()
        .get();

    Collection<String> created = TopicAdmin.ensureTopics(admin, List.of(a, b));

    assertThat(created).containsExactly("qat.test.b");
    assertThat(
            admin
                .describeTopics(List.of(a.name()))
                .allTopicNames()
                .get()
                .get(a.name())
                .partitions())
        .hasSize(1);
  }
}
