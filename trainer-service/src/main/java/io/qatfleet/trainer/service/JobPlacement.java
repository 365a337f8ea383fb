package io.qatfleet.trainer.service;

import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.messaging.topic.Topics;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Spreads new jobs over the trainer instances: it mints each job id so that Kafka's key partitioner
 * puts the job's events on the work partition whose trainers have the fewest unfinished jobs.
 *
 * <p>Every event of a job is keyed by its id, so the id alone decides the partition of its baseline
 * request on {@code qat.jobs} and of its rounds on {@code qat.train}, and with it which trainer
 * instance works on it. Random ids spread only on average: in the pipeline benchmark all four of
 * four jobs once hashed to partitions of one of two trainers, and the other stood idle. Instead,
 * {@link #newJobId()} reads which consumer of the trainers' group owns each partition of the two
 * topics (the group's assignment, cached for {@link #ASSIGNMENT_TTL}), counts the unfinished jobs
 * of the job view per owner, picks the partition whose owners are least loaded (first on {@code
 * qat.jobs}, then on {@code qat.train}, then the partition itself; ties to the lowest number), and
 * draws random UUIDs until one hashes there (on average as many draws as there are partitions).
 * Without an assignment (no trainer consuming yet, the broker slow to answer) it balances the
 * partitions alone. A job id stays an unguessable random UUID; only its partition is chosen.
 */
@ApplicationScoped
public class JobPlacement {

  /** How long the group's assignment is reused before it is read again. */
  static final Duration ASSIGNMENT_TTL = Duration.ofSeconds(5);

  private static final Duration DESCRIBE_TIMEOUT = Duration.ofSeconds(2);

  private static final Logger LOG = Logger.getLogger(JobPlacement.class);

  private final KafkaClientSettings clients;
  private final JobView view;
  private final String groupId;
  private Admin admin;
  private Assignment cached;
  private long cachedAtNanos;

  JobPlacement(
      KafkaClientSettings clients,
      JobView view,
      @ConfigProperty(name = "kafka.group.id") String groupId) {
    this.clients = clients;
    this.view = view;
    this.groupId = groupId;
  }

  /**
   * Which consumer (member id) owns each partition of {@code qat.jobs} and {@code qat.train}; a
   * partition no consumer owns is absent.
   */
  record Assignment(Map<Integer, String> jobsOwners, Map<Integer, String> trainOwners) {
    static final Assignment NONE = new Assignment(Map.of(), Map.of());
  }

  /** A fresh job id for the least loaded work partition. */
  public String newJobId() {
    Assignment assignment = assignment();
    List<String> unfinished = view.unfinishedJobIds();
    int partition = choose(Topics.WORK_PARTITIONS, assignment, unfinished);
    String id = mint(partition, Topics.WORK_PARTITIONS, () -> UUID.randomUUID().toString());
    LOG.infof(
        "job %s placed on partition %d of %s and %s (owners %s and %s; %d unfinished jobs)",
        id,
        partition,
        Topics.JOBS,
        Topics.TRAIN,
        assignment.jobsOwners().getOrDefault(partition, "unknown"),
        assignment.trainOwners().getOrDefault(partition, "unknown"),
        unfinished.size());
    return id;
  }

  /**
   * The partition a new job should go to, given the group's assignment and the ids of the jobs not
   * yet finished.
   */
  static int choose(int partitions, Assignment assignment, List<String> unfinishedJobIds) {
    int[] perPartition = new int[partitions];
    for (String id : unfinishedJobIds) {
      perPartition[partitionOf(id, partitions)]++;
    }
    Map<String, Integer> jobsLoad = loadPerOwner(assignment.jobsOwners(), perPartition);
    Map<String, Integer> trainLoad = loadPerOwner(assignment.trainOwners(), perPartition);
    Comparator<Integer> leastLoaded =
        Comparator.<Integer>comparingInt(p -> ownerLoad(assignment.jobsOwners(), jobsLoad, p))
            .thenComparingInt(p -> ownerLoad(assignment.trainOwners(), trainLoad, p))
            .thenComparingInt(p -> perPartition[p])
            .thenComparingInt(p -> p);
    return IntStream.range(0, partitions).boxed().min(leastLoaded).orElseThrow();
  }

  /** The partition Kafka's default partitioner gives a record keyed {@code jobId}. */
  static int partitionOf(String jobId, int partitions) {
    return Utils.toPositive(Utils.murmur2(jobId.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /** The first id from {@code ids} that lands on {@code partition}. */
  static String mint(int partition, int partitions, Supplier<String> ids) {
    while (true) {
      String id = ids.get();
      if (partitionOf(id, partitions) == partition) {
        return id;
      }
    }
  }

  private static Map<String, Integer> loadPerOwner(Map<Integer, String> owners, int[] jobs) {
    Map<String, Integer> load = new HashMap<>();
    owners.forEach((p, owner) -> load.merge(owner, p < jobs.length ? jobs[p] : 0, Integer::sum));
    return load;
  }

  /** The load of the consumer owning {@code p}; 0 when none does (nothing to balance against). */
  private static int ownerLoad(Map<Integer, String> owners, Map<String, Integer> load, int p) {
    String owner = owners.get(p);
    return owner == null ? 0 : load.getOrDefault(owner, 0);
  }

  private synchronized Assignment assignment() {
    long now = System.nanoTime();
    if (cached != null && now - cachedAtNanos < ASSIGNMENT_TTL.toNanos()) {
      return cached;
    }
    Assignment read = Assignment.NONE;
    try {
      if (admin == null) {
        admin = clients.admin("placement");
      }
      ConsumerGroupDescription group =
          admin
              .describeConsumerGroups(List.of(groupId))
              .describedGroups()
              .get(groupId)
              .get(DESCRIBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      Map<Integer, String> jobs = new HashMap<>();
      Map<Integer, String> train = new HashMap<>();
      for (MemberDescription member : group.members()) {
        for (TopicPartition tp : member.assignment().topicPartitions()) {
          if (tp.topic().equals(Topics.JOBS)) {
            jobs.put(tp.partition(), member.consumerId());
          } else if (tp.topic().equals(Topics.TRAIN)) {
            train.put(tp.partition(), member.consumerId());
          }
        }
      }
      read = new Assignment(Map.copyOf(jobs), Map.copyOf(train));
    } catch (ExecutionException | TimeoutException | KafkaException e) {
      LOG.debugf("placing jobs by partition alone: group %s not described (%s)", groupId, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    cached = read;
    cachedAtNanos = now;
    return read;
  }

  @PreDestroy
  synchronized void close() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
      admin = null;
    }
  }
}
