package io.qatfleet.service;

/**
 * The outgoing channels every service has; each service's {@code application.properties} maps them
 * to their topics, the rest of its channels are its own.
 */
public final class FleetChannels {

  /** {@code qat.status}: progress, errors and reports, keyed by job id. */
  public static final String STATUS_OUT = "status-out";

  /** {@code qat.dlq}: records the service could not process, with the reason. */
  public static final String DLQ_OUT = "dlq-out";

  private FleetChannels() {}
}
