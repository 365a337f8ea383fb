package io.qatfleet.cli.fleet;

/** A part of the local fleet did not start; names it and carries the tail of its log. */
public class FleetStartException extends RuntimeException {
  private final String part;
  private final String logTail;

  public FleetStartException(String part, String problem, String logTail) {
    super(part + " failed to start: " + problem);
    this.part = part;
    this.logTail = logTail;
  }

  public String part() {
    return part;
  }

  public String logTail() {
    return logTail;
  }
}
