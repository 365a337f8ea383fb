package io.qatfleet.cli;

/**
 * A command failed for a reason the user can act on (a missing file, an invalid spec, an
 * unreachable fleet); {@link FleetCommand} prints its message as one line and exits with 1.
 */
final class CliFailure extends RuntimeException {
  CliFailure(String message) {
    super(oneLine(message));
  }

  /** Collapses line breaks so that a message from a library still reads as one line. */
  static String oneLine(String message) {
    return message == null ? "unknown error" : message.strip().replaceAll("\\s*\\R\\s*", " ");
  }
}
