package io.qatfleet.service;

/**
 * Whether the Kafka cluster answers now. {@link Failures} asks it about a checkpoint read that
 * timed out: with the broker down that is an outage to wait out, with the broker up the checkpoint
 * is really not there.
 */
@FunctionalInterface
public interface BrokerProbe {

  /** True when the cluster answered a metadata request within the probe's timeout. */
  boolean reachable();
}
