package io.qatfleet.messaging.topic;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates the fleet's topics ({@link Topics#ALL}) on a broker that lacks them, with the partitions
 * and configs of their {@link TopicSpec}s. Every service and the local run call it at start, so it
 * is idempotent: existing topics are left as they are (their configs are not changed), and a topic
 * created concurrently by another process is not an error.
 */
public final class TopicAdmin {

  /** How long one admin call may take before {@link #ensureTopics} gives up. */
  public static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static final long VISIBILITY_POLL_MILLIS = 50;

  private TopicAdmin() {}

  /**
   * Creates every topic of {@link Topics#ALL} that does not exist yet.
   *
   * @return the names of the topics this call created
   */
  public static Set<String> ensureTopics(Admin admin) {
    return ensureTopics(admin, Topics.ALL);
  }

  /**
   * Creates every topic of {@code specs} that does not exist yet and waits until the broker serves
   * their metadata, so that a client using them right after this call finds them.
   *
   * @return the names of the topics this call created
   */
  public static Set<String> ensureTopics(Admin admin, Collection<TopicSpec> specs) {
    try {
      Set<String> existing =
          admin
              .listTopics(new ListTopicsOptions().timeoutMs((int) TIMEOUT.toMillis()))
              .names()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (TopicSpec spec : specs) {
        if (!existing.contains(spec.name())) {
          missing.add(
              new NewTopic(spec.name(), Optional.of(spec.partitions()), Optional.empty())
                  .configs(spec.configs()));
        }
      }
      Set<String> created = new LinkedHashSet<>();
      if (missing.isEmpty()) {
        return created;
      }
      CreateTopicsResult result =
          admin.createTopics(
              missing, new CreateTopicsOptions().timeoutMs((int) TIMEOUT.toMillis()));
      for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> e :
          result.values().entrySet()) {
        try {
          e.getValue().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          created.add(e.getKey());
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException(
                "cannot create topic " + e.getKey() + ": " + ex.getCause().getMessage(),
                ex.getCause());
          }
        }
      }
      awaitVisible(admin, created);
      return created;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot list topics: " + e.getCause().getMessage(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("broker did not answer within " + TIMEOUT, e);
    }
  }

  private static void awaitVisible(Admin admin, Set<String> topics)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!topics.isEmpty()) {
      try {
        admin.describeTopics(topics).allTopicNames().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw new IllegalStateException(
              "cannot describe topics " + topics + ": " + e.getCause().getMessage(), e.getCause());
        }
      }
      if (System.nanoTime() - deadline > 0) {
        throw new TimeoutException("topics " + topics + " not visible within " + TIMEOUT);
      }
      Thread.sleep(VISIBILITY_POLL_MILLIS);
    }
  }
}
