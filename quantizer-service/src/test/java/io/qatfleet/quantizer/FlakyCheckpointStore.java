package io.qatfleet.quantizer;

import io.micrometer.core.instrument.MeterRegistry;
import io.qatfleet.core.checkpoint.EncodedCheckpoint;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.checkpoint.CheckpointTransportException;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import io.qatfleet.service.FleetConfig;
import io.qatfleet.service.FleetMessaging;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The quantizer's checkpoint store in its tests: the real one, except that a test can make the
 * reads of one checkpoint fail like a broker outage ({@code TRANSPORT}) a few times. Reads of every
 * other checkpoint are untouched, so the other tests see the real store.
 */
@Alternative
@Priority(1)
@Singleton
public class FlakyCheckpointStore implements CheckpointStore {

  private final CheckpointStore store;
  private final Map<String, AtomicInteger> failing = new ConcurrentHashMap<>();

  @Inject
  FlakyCheckpointStore(KafkaClientSettings clients, FleetConfig config, MeterRegistry registry) {
    this.store = FleetMessaging.fleetCheckpointStore(clients, config, registry);
  }

  /** The next {@code times} reads of {@code ref} fail as if the broker were unreachable. */
  public void failReads(CheckpointRef ref, int times) {
    failing.put(ref.sha256(), new AtomicInteger(times));
  }

  @Override
  public CheckpointRef put(byte[] bytes) {
    return store.put(bytes);
  }

  @Override
  public CheckpointRef put(EncodedCheckpoint encoded) {
    return store.put(encoded);
  }

  @Override
  public byte[] get(CheckpointRef ref, Duration timeout) {
    AtomicInteger left = failing.get(ref.sha256());
    if (left != null && left.getAndDecrement() > 0) {
      throw new CheckpointTransportException(
          CheckpointTransportException.Reason.TRANSPORT,
          ref,
          "cannot read checkpoint " + ref.sha256() + ": broker unavailable (test)");
    }
    return store.get(ref, timeout);
  }

  @PreDestroy
  @Override
  public void close() {
    store.close();
  }
}
