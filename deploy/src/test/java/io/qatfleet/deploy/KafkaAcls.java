package io.qatfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kafka ACLs as sets of {@link Grant}s: what the KafkaUsers grant (Strimzi's {@code
 * spec.authorization.acls}, one grant per operation), and what a service's SmallRye channels need
 * (read off its {@code application.properties} and the settings every service shares).
 */
final class KafkaAcls {

  static final String READ = "Read";
  static final String WRITE = "Write";
  static final String DESCRIBE = "Describe";

  private static final Pattern CHANNEL_TOPIC =
      Pattern.compile("mp\\.messaging\\.(incoming|outgoing)\\.([^.]+)\\.topic");

  /** The settings every service shares (qat-service's META-INF/microprofile-config.properties). */
  private static final Path SHARED_CONFIG =
      Yaml.REPO.resolve("qat-service/src/main/resources/META-INF/microprofile-config.properties");

  private KafkaAcls() {}

  /**
   * One allowed operation on one resource; a {@code prefix} pattern matches every name starting
   * with {@code name}.
   */
  record Grant(String resourceType, String name, String patternType, String operation)
      implements Comparable<Grant> {

    static Grant topic(String name, String operation) {
      return new Grant("topic", name, "literal", operation);
    }

    /**
     * A consumer group; a group id ending in a placeholder ({@code trainer-view-${quarkus.uuid}},
     * one group per instance) needs the prefix before it.
     */
    static Grant group(String groupId, String operation) {
      int placeholder = groupId.indexOf("${");
      return placeholder < 0
          ? new Grant("group", groupId, "literal", operation)
          : new Grant("group", groupId.substring(0, placeholder), "prefix", operation);
    }

    @Override
    public int compareTo(Grant o) {
      return toString().compareTo(o.toString());
    }

    @Override
    public String toString() {
      return operation
          + " "
          + resourceType
          + " "
          + name
          + (patternType.equals("prefix") ? "*" : "");
    }
  }

  /** The grants of every KafkaUser among {@code docs}, by user name. */
  static Map<String, Set<Grant>> byUser(List<ObjectNode> docs) {
    Map<String, Set<Grant>> users = new TreeMap<>();
    for (ObjectNode user : Fleet.ofKind(docs, "KafkaUser")) {
      Set<Grant> grants = new TreeSet<>();
      for (JsonNode acl : user.at("/spec/authorization/acls")) {
        for (JsonNode operation : acl.path("operations")) {
          grants.add(
              new Grant(
                  acl.at("/resource/type").asText(),
                  acl.at("/resource/name").asText(),
                  acl.at("/resource/patternType").asText("literal"),
                  operation.asText()));
        }
      }
      users.put(user.at("/metadata/name").asText(), grants);
    }
    return users;
  }

  /** The names of the users among {@code users} that hold {@code grant}. */
  static Set<String> holders(Map<String, Set<Grant>> users, Grant grant) {
    Set<String> holders = new TreeSet<>();
    users.forEach(
        (user, grants) -> {
          if (grants.contains(grant)) {
            holders.add(user);
          }
        });
    return holders;
  }

  /**
   * What the channels of {@code service} need: Read on each incoming topic and on its consumer
   * group (the channel's {@code group.id}, else {@code kafka.group.id}), Write on each outgoing
   * topic. Fails on an incoming channel without a group id: SmallRye would make up a random one,
   * for which no ACL can be written.
   */
  static Set<Grant> channelGrants(String service) throws IOException {
    Properties config = load(SHARED_CONFIG, new Properties());
    load(Yaml.REPO.resolve(service + "/src/main/resources/application.properties"), config);
    Set<Grant> grants = new TreeSet<>();
    for (String key : config.stringPropertyNames()) {
      Matcher m = CHANNEL_TOPIC.matcher(key);
      if (!m.matches()) {
        continue;
      }
      String topic = config.getProperty(key);
      if (m.group(1).equals("outgoing")) {
        grants.add(Grant.topic(topic, WRITE));
        continue;
      }
      grants.add(Grant.topic(topic, READ));
      String groupId =
          config.getProperty(
              "mp.messaging.incoming." + m.group(2) + ".group.id",
              config.getProperty("kafka.group.id"));
      if (groupId == null) {
        throw new AssertionError(service + ": channel " + m.group(2) + " has no group id");
      }
      grants.add(Grant.group(groupId, READ));
    }
    return grants;
  }

  private static Properties load(Path file, Properties into) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    }
    // Profile-specific keys (%test.x) are not the cluster's.
    p.stringPropertyNames().stream()
        .filter(k -> !k.startsWith("%"))
        .forEach(k -> into.setProperty(k, p.getProperty(k)));
    return into;
  }
}
