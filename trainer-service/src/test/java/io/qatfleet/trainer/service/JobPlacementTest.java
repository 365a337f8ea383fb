package io.qatfleet.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.trainer.service.JobPlacement.Assignment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class JobPlacementTest {

  /** Places {@code jobs} new jobs one after another, each seeing the ones placed before it. */
  private static List<String> place(int jobs, int partitions, Assignment assignment) {
    Random random = new Random(7);
    List<String> placed = new ArrayList<>();
    for (int i = 0; i < jobs; i++) {
      int p = JobPlacement.choose(partitions, assignment, placed);
      placed.add(
          JobPlacement.mint(
              p, partitions, () -> new UUID(random.nextLong(), random.nextLong()).toString()));
    }
    return placed;
  }

  private static Map<String, Integer> jobsPerOwner(
      List<String> ids, int partitions, Map<Integer, String> owners) {
    Map<String, Integer> count = new HashMap<>();
    for (String id : ids) {
      count.merge(owners.get(JobPlacement.partitionOf(id, partitions)), 1, Integer::sum);
    }
    return count;
  }

  @Test
  void computesThePartitionKafkasProducerGivesTheKey() {
    for (int i = 0; i < 200; i++) {
      String id = UUID.randomUUID().toString();
      for (int partitions : new int[] {1, 3, 12}) {
        assertThat(JobPlacement.partitionOf(id, partitions))
            .isEqualTo(
                BuiltInPartitioner.partitionForKey(
                    id.getBytes(StandardCharsets.UTF_8), partitions));
      }
    }
  }

  @Test
  void spreadsJobsEvenlyOverTwoTrainersOwningUnequalPartitionCounts() {
    // Two trainers share 3 partitions: one owns two, the other one. Per partition the first would
    // get two jobs in three; per owner they alternate.
    Map<Integer, String> jobs = Map.of(0, "a-jobs", 1, "b-jobs", 2, "a-jobs");
    Map<Integer, String> train = Map.of(0, "b-train", 1, "a-train", 2, "a-train");
    List<String> ids = place(4, 3, new Assignment(jobs, train));

    assertThat(jobsPerOwner(ids, 3, jobs)).containsEntry("a-jobs", 2).containsEntry("b-jobs", 2);
  }

  @Test
  void breaksTiesOnTheFirstTopicByTheSecond() {
    // Three consumers own one qat.jobs partition each; on qat.train one consumer owns partitions
    // 0 and 1, another owns 2. With no job yet everyone is idle: the lowest partition.
    Map<Integer, String> jobs = Map.of(0, "a-jobs", 1, "b-jobs", 2, "c-jobs");
    Map<Integer, String> train = Map.of(0, "b-train", 1, "b-train", 2, "a-train");

    assertThat(JobPlacement.choose(3, new Assignment(jobs, train), List.of())).isEqualTo(0);
    String onZero = JobPlacement.mint(0, 3, () -> UUID.randomUUID().toString());
    // qat.jobs: a has one job, b and c none, so partition 1 or 2; on qat.train partition 1's
    // owner (b) has that job too, partition 2's (a) none: partition 2.
    assertThat(JobPlacement.choose(3, new Assignment(jobs, train), List.of(onZero))).isEqualTo(2);
  }

  @Test
  void balancesPartitionsAloneWithoutAnAssignment() {
    List<String> ids = place(6, 3, Assignment.NONE);

    int[] perPartition = new int[3];
    ids.forEach(id -> perPartition[JobPlacement.partitionOf(id, 3)]++);
    assertThat(perPartition).containsExactly(2, 2, 2);
  }

  @Test
  void countsOnlyTheUnfinishedJobsItIsGiven() {
    String onZero = JobPlacement.mint(0, 3, () -> UUID.randomUUID().toString());
    String onOne = JobPlacement.mint(1, 3, () -> UUID.randomUUID().toString());

    assertThat(JobPlacement.choose(3, Assignment.NONE, List.of(onZero, onOne))).isEqualTo(2);
    assertThat(JobPlacement.choose(3, Assignment.NONE, List.of(onZero, onOne, onZero)))
        .isEqualTo(2);
  }
}
