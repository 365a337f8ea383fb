package io.qatfleet.messaging.security;

import io.qatfleet.messaging.topic.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The fleet's Kafka principals and exactly the access each needs (DESIGN.md §7: one principal per
 * service, ACLs by topic and group; only the validator writes {@code qat.deploy} and {@code
 * qat.models}; nobody but the fleet writes its work topics). One source for the embedded broker's
 * ACLs (tests, secured local runs); deploy/'s KafkaUsers state the same table for Strimzi.
 */
public enum FleetPrincipal {
  TRAINER(
      Set.of(
          Topics.JOBS,
          Topics.TRAIN,
          Topics.TRIGGERS,
          Topics.MODELS,
          Topics.STATUS,
          Topics.DEPLOY,
          Topics.OWNERS,
          Topics.CHECKPOINTS,
          // A retraining trigger's job starts from an approved model's checkpoint.
          Topics.APPROVED_CHECKPOINTS,
          // The operators' replay of a dead letter (trainer's POST /dead-letters/{id}/replay).
          Topics.DLQ),
      Set.of(
          Topics.JOBS,
          Topics.TRAIN,
          Topics.VALIDATE,
          Topics.QUANTIZE,
          Topics.STATUS,
          Topics.DLQ,
          Topics.OWNERS,
          Topics.CHECKPOINTS),
      List.of("trainer-service"),
      List.of("trainer-registry-", "trainer-view-", "trainer-owners-"),
      List.of()),
  QUANTIZER(
      Set.of(Topics.QUANTIZE, Topics.CHECKPOINTS, Topics.APPROVED_CHECKPOINTS),
      Set.of(Topics.VALIDATE, Topics.STATUS, Topics.DLQ, Topics.CHECKPOINTS),
      List.of("quantizer-service"),
      List.of(),
      List.of()),
  VALIDATOR(
      Set.of(Topics.VALIDATE, Topics.CHECKPOINTS, Topics.APPROVED_CHECKPOINTS, Topics.MODELS),
      // An approval's checkpoints are copied to qat.checkpoints.approved in its transaction.
      Set.of(
          Topics.DEPLOY,
          Topics.MODELS,
          Topics.APPROVED_CHECKPOINTS,
          Topics.TRAIN,
          Topics.STATUS,
          Topics.DLQ),
      List.of("validator-service"),
      List.of(),
      List.of(FleetPrincipal.VALIDATOR_TRANSACTIONS)),
  /** The retraining trigger (CronJob, {@code qat trigger}): asks for retraining, nothing else. */
  TRIGGER(Set.of(), Set.of(Topics.TRIGGERS), List.of(), List.of(), List.of());

  /**
   * Prefix of the transactional ids the validator publishes its decisions under (one per model
   * name, so that two validators approving one model fence each other).
   */
  public static final String VALIDATOR_TRANSACTIONS = "qat-validator-";

  private static final Map<FleetPrincipal, String> USER_NAMES =
      Map.of(
          TRAINER, "trainer-service",
          QUANTIZER, "quantizer-service",
          VALIDATOR, "validator-service",
          TRIGGER, "retrain-trigger");

  private final Set<String> reads;
  private final Set<String> writes;
  private final List<String> groups;
  private final List<String> groupPrefixes;
  private final List<String> transactionalIdPrefixes;

  FleetPrincipal(
      Set<String> reads,
      Set<String> writes,
      List<String> groups,
      List<String> groupPrefixes,
      List<String> transactionalIdPrefixes) {
    this.reads = reads;
    this.writes = writes;
    this.groups = groups;
    this.groupPrefixes = groupPrefixes;
    this.transactionalIdPrefixes = transactionalIdPrefixes;
  }

  /** The user name of the principal ({@code User:<name>}), as deploy/'s KafkaUsers name it. */
  public String userName() {
    return USER_NAMES.get(this);
  }

  public Set<String> reads() {
    return reads;
  }

  public Set<String> writes() {
    return writes;
  }

  /**
   * Every ACL of this principal: read and write by topic, read on its consumer groups, write on its
   * transactional ids.
   */
  public List<AclBinding> acls() {
    String principal = "User:" + userName();
    List<AclBinding> out = new ArrayList<>();
    for (String topic : reads) {
      out.add(allow(principal, ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.READ));
    }
    for (String topic : writes) {
      out.add(allow(principal, ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.WRITE));
    }
    for (String group : groups) {
      out.add(allow(principal, ResourceType.GROUP, group, PatternType.LITERAL, AclOperation.READ));
    }
    for (String prefix : groupPrefixes) {
      out.add(
          allow(principal, ResourceType.GROUP, prefix, PatternType.PREFIXED, AclOperation.READ));
    }
    for (String prefix : transactionalIdPrefixes) {
      out.add(
          allow(
              principal,
              ResourceType.TRANSACTIONAL_ID,
              prefix,
              PatternType.PREFIXED,
              AclOperation.WRITE));
    }
    return out;
  }

  private static AclBinding allow(
      String principal,
      ResourceType type,
      String name,
      PatternType pattern,
      AclOperation operation) {
    return new AclBinding(
        new ResourcePattern(type, name, pattern),
        new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW));
  }
}
