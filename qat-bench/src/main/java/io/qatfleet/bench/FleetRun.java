package io.qatfleet.bench;

import io.qatfleet.messaging.event.QatEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One fleet's batch in {@code qat bench fleet}: what {@link FleetBench} measured with {@code
 * trainers} trainer instances (the events of each submitted job, each instance's share of the
 * training, the fleet's start-up time), and what {@link FleetReport} renders.
 *
 * @param fleetStartSeconds from starting the fleet until every service was ready
 * @param jobIds the batch's jobs, in submission order
 * @param events each job's events as read back from the topics
 * @param shares what each trainer instance trained, from its {@code /q/metrics}
 */
record FleetRun(
    int trainers,
    double fleetStartSeconds,
    List<String> jobIds,
    Map<String, List<QatEvent>> events,
    List<FleetRun.TrainerShare> shares) {

  /**
   * What one trainer instance trained: counts of float baselines and QAT rounds, -1 when its
   * metrics could not be read.
   */
  record TrainerShare(String instance, long baselines, long qatRounds) {}

  Throughput throughput() {
    return Throughput.of(events.values());
  }

  List<StageSplit> splits() {
    List<StageSplit> out = new ArrayList<>();
    events.forEach((id, e) -> StageSplit.of(id, e).ifPresent(out::add));
    return out;
  }
}
