package io.qatfleet.deploy;

import static io.qatfleet.deploy.KafkaAcls.DESCRIBE;
import static io.qatfleet.deploy.KafkaAcls.READ;
import static io.qatfleet.deploy.KafkaAcls.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qatfleet.deploy.KafkaAcls.Grant;
import io.qatfleet.messaging.security.FleetPrincipal;
import io.qatfleet.messaging.topic.TopicSpec;
import io.qatfleet.messaging.topic.Topics;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The KafkaUsers' ACLs against the trust model (DESIGN §7): one principal per service with exactly
 * the topics and groups its clients use; only the validator writes {@code qat.deploy} and {@code
 * qat.models}; nobody but the fleet writes its work topics; the retraining trigger writes only
 * {@code qat.triggers}, KEDA only describes the lag it scales on.
 */
class KafkaAccessTest {

  private static final Set<String> FLEET = Set.copyOf(MetricCatalog.SERVICES);

  /**
   * The Kafka clients the services build by hand, beside their channels, read off their code: the
   * checkpoint store on {@code qat.checkpoints} (no group; the trainer and the quantizer {@code
   * put} and {@code get}, the validator's ValidationService only {@code get}s) and {@code
   * qat.checkpoints.approved} (every service reads; the validator's EventPublisher writes an
   * approval's checkpoints there in the decision's transaction), and the validator's ModelRegistry,
   * which reads {@code qat.models} by partition assignment, and its EventPublisher, which writes
   * each decision (report, approval and registry entry or send-back) in a transaction of its own;
   * the trainer's replay of dead letters (DeadLetterReplay), which reads {@code qat.dlq} by
   * partition assignment and writes to the work topics its channels already write.
   */
  private static final Map<String, Set<Grant>> HAND_BUILT =
      Map.of(
          "trainer-service",
          Set.of(
              Grant.topic(Topics.CHECKPOINTS, READ),
              Grant.topic(Topics.CHECKPOINTS, WRITE),
              Grant.topic(Topics.APPROVED_CHECKPOINTS, READ),
              Grant.topic(Topics.DLQ, READ)),
          "quantizer-service",
          Set.of(
              Grant.topic(Topics.CHECKPOINTS, READ),
              Grant.topic(Topics.CHECKPOINTS, WRITE),
              Grant.topic(Topics.APPROVED_CHECKPOINTS, READ)),
          "validator-service",
          Set.of(
              Grant.topic(Topics.CHECKPOINTS, READ),
              Grant.topic(Topics.APPROVED_CHECKPOINTS, READ),
              Grant.topic(Topics.APPROVED_CHECKPOINTS, WRITE),
              Grant.topic(Topics.MODELS, READ),
              Grant.topic(Topics.DEPLOY, WRITE),
              Grant.topic(Topics.MODELS, WRITE),
              Grant.topic(Topics.TRAIN, WRITE),
              Grant.topic(Topics.STATUS, WRITE),
              new Grant(
                  "transactionalId", FleetPrincipal.VALIDATOR_TRANSACTIONS, "prefix", WRITE)));

  /** Who may write which topic, whatever the services' configuration says (DESIGN §7). */
  static List<String> trustModelViolations(Map<String, Set<Grant>> users) {
    List<String> violations = new ArrayList<>();
    for (String topic : List.of(Topics.DEPLOY, Topics.MODELS)) {
      Set<String> writers = KafkaAcls.holders(users, Grant.topic(topic, WRITE));
      if (!writers.equals(Set.of("validator-service"))) {
        violations.add(topic + " is written by " + writers + ", not by validator-service alone");
      }
    }
    for (TopicSpec spec : Topics.ALL) {
      if (spec.name().equals(Topics.TRIGGERS)) {
        continue;
      }
      for (String writer : KafkaAcls.holders(users, Grant.topic(spec.name(), WRITE))) {
        if (!FLEET.contains(writer)) {
          violations.add(writer + ", outside the fleet, writes work topic " + spec.name());
        }
      }
    }
    users.forEach(
        (user, grants) -> {
          for (Grant g : grants) {
            if (!Set.of(READ, WRITE, DESCRIBE).contains(g.operation())
                || !Set.of("topic", "group", "transactionalId").contains(g.resourceType())
                || g.name().isEmpty()
                || g.name().equals("*")
                || (g.patternType().equals("prefix") && g.resourceType().equals("topic"))) {
              violations.add(user + " is granted " + g);
            }
          }
        });
    return violations;
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void grantsEachServiceExactlyWhatItsClientsUse(String overlay) throws IOException {
    Map<String, Set<Grant>> users = KafkaAcls.byUser(Fleet.overlay(overlay));
    for (String service : FLEET) {
      Set<Grant> expected = new TreeSet<>(KafkaAcls.channelGrants(service));
      expected.addAll(HAND_BUILT.get(service));
      assertThat(users.get(service)).as("ACLs of KafkaUser %s", service).isEqualTo(expected);
    }
  }

  /**
   * The KafkaUsers state the same access as {@code FleetPrincipal}, the table the embedded broker's
   * ACLs come from in the secured tests (SecuredBrokerIT, Secured*Test): what is tested there is
   * what is deployed here.
   */
  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void kafkaUsersMatchTheFleetPrincipalsTestedOnTheEmbeddedBroker(String overlay) {
    Map<String, Set<Grant>> users = new HashMap<>(KafkaAcls.byUser(Fleet.overlay(overlay)));
    users.putAll(KafkaAcls.byUser(Fleet.examples()));
    for (FleetPrincipal principal : FleetPrincipal.values()) {
      Set<Grant> expected = new TreeSet<>();
      for (AclBinding acl : principal.acls()) {
        expected.add(
            new Grant(
                acl.pattern().resourceType() == ResourceType.TRANSACTIONAL_ID
                    ? "transactionalId"
                    : acl.pattern().resourceType().name().toLowerCase(Locale.ROOT),
                acl.pattern().name(),
                acl.pattern().patternType() == PatternType.PREFIXED ? "prefix" : "literal",
                acl.entry().operation() == AclOperation.READ ? READ : WRITE));
      }
      assertThat(users.get(principal.userName()))
          .as("ACLs of KafkaUser %s", principal.userName())
          .isEqualTo(expected);
    }
  }

  @Test
  void readsChannelsOffTheServicesConfiguration() throws IOException {
    assertThat(KafkaAcls.channelGrants("trainer-service"))
        .contains(
            Grant.topic(Topics.JOBS, READ),
            Grant.topic(Topics.JOBS, WRITE),
            Grant.topic(Topics.STATUS, WRITE),
            Grant.topic(Topics.DLQ, WRITE),
            new Grant("group", "trainer-service", "literal", READ),
            new Grant("group", "trainer-view-", "prefix", READ))
        .doesNotContain(Grant.topic(Topics.DEPLOY, WRITE));
    assertThat(KafkaAcls.channelGrants("validator-service"))
        .contains(Grant.topic(Topics.VALIDATE, READ), Grant.topic(Topics.DLQ, WRITE));
  }

  @Test
  void grantsTheTriggerOnlyTheTopicItsScriptWrites() {
    List<ObjectNode> examples = Fleet.examples();
    String script =
        Fleet.find(examples, "ConfigMap", "retrain-trigger").at("/data/trigger.sh").asText();
    Set<Grant> expected = new TreeSet<>();
    Matcher m = Pattern.compile("--topic (\\S+)").matcher(script);
    while (m.find()) {
      expected.add(Grant.topic(m.group(1), WRITE));
    }
    assertThat(expected).containsExactly(Grant.topic(Topics.TRIGGERS, WRITE));
    assertThat(KafkaAcls.byUser(examples).get("retrain-trigger")).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void grantsKedaOnlyDescribeOnTheLagItScalesOn(String overlay) {
    List<ObjectNode> docs = Fleet.overlay(overlay);
    Map<String, Set<Grant>> users = KafkaAcls.byUser(docs);
    for (ObjectNode so : Fleet.ofKind(docs, "ScaledObject")) {
      Set<Grant> expected = new TreeSet<>();
      String user = null;
      for (JsonNode trigger : so.at("/spec/triggers")) {
        expected.add(Grant.topic(trigger.at("/metadata/topic").asText(), DESCRIBE));
        expected.add(Grant.group(trigger.at("/metadata/consumerGroup").asText(), DESCRIBE));
        user = KafkaCredentialsTest.kedaUser(docs, trigger);
      }
      assertThat(users.get(user)).as("ACLs of KafkaUser %s", user).isEqualTo(expected);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void meetsTheTrustModel(String overlay) {
    Map<String, Set<Grant>> users = KafkaAcls.byUser(Fleet.withExamples(Fleet.overlay(overlay)));
    assertThat(users.keySet()).containsAll(FLEET).contains("retrain-trigger");
    assertThat(trustModelViolations(users)).isEmpty();
  }

  @Test
  void flagsAServiceOtherThanTheValidatorWritingApprovals() {
    List<ObjectNode> docs = Fleet.overlay("prod");
    ObjectNode trainer = (ObjectNode) Fleet.find(docs, "KafkaUser", "trainer-service");
    ObjectNode acl = ((ArrayNode) trainer.at("/spec/authorization/acls")).addObject();
    acl.putObject("resource").put("type", "topic").put("name", Topics.DEPLOY);
    acl.putArray("operations").add(WRITE);
    assertThat(trustModelViolations(KafkaAcls.byUser(docs)))
        .anyMatch(v -> v.startsWith(Topics.DEPLOY) && v.contains("trainer-service"));
  }

  @Test
  void flagsATriggerWritingWorkTopicsOrAdministeringTheCluster() {
    List<ObjectNode> docs = Fleet.examples();
    ArrayNode acls =
        (ArrayNode) Fleet.find(docs, "KafkaUser", "retrain-trigger").at("/spec/authorization/acls");
    ObjectNode train = acls.addObject();
    train.putObject("resource").put("type", "topic").put("name", Topics.TRAIN);
    train.putArray("operations").add(WRITE);
    ObjectNode cluster = acls.addObject();
    cluster.putObject("resource").put("type", "cluster");
    cluster.putArray("operations").add("Alter");
    assertThat(trustModelViolations(KafkaAcls.byUser(docs)))
        .anyMatch(v -> v.contains("writes work topic " + Topics.TRAIN))
        .anyMatch(v -> v.contains("Alter cluster"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void namesOnlyExistingTopics(String overlay) {
    List<ObjectNode> docs = Fleet.withExamples(Fleet.overlay(overlay));
    Set<String> topics =
        Fleet.ofKind(docs, "KafkaTopic").stream()
            .map(t -> t.at("/spec/topicName").asText())
            .collect(Collectors.toSet());
    KafkaAcls.byUser(docs)
        .forEach(
            (user, grants) ->
                grants.stream()
                    .filter(g -> g.resourceType().equals("topic"))
                    .forEach(g -> assertThat(topics).as("%s: %s", user, g).contains(g.name())));
  }
}
