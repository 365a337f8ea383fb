package io.qatfleet.cli;

import io.qatfleet.cli.fleet.LocalAuth;
import java.io.PrintWriter;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code qat token}: prints a bearer token for the job API on standard output, alone, for scripts
 * ({@code curl -H "Authorization: Bearer $(qat token)" ...}), signed with this machine's private
 * key ({@link LocalAuth}, created on first use; the trainers of {@code qat demo} and {@code qat
 * run} trust its public key). {@code --save} also keeps it as the token the other commands send.
 */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = "Print a job API token signed with the local key (created on first use).")
final class TokenCommand extends FleetCommand {

  /** The roles of the job API. */
  enum Role {
    submitter,
    operator
  }

  @Option(
      names = "--role",
      description = "submitter (own jobs) or operator (every job); default: ${DEFAULT-VALUE}.")
  Role role = Role.submitter;

  @Option(
      names = "--subject",
      paramLabel = "NAME",
      description = "Who the token speaks for (its sub claim); default: ${DEFAULT-VALUE}.")
  String subject = LocalAuth.localUser();

  @Option(
      names = "--hours",
      paramLabel = "H",
      description = "Hours until it expires; default: ${DEFAULT-VALUE}.")
  int hours = (int) LocalAuth.DEFAULT_LIFETIME.toHours();

  @Option(
      names = "--save",
      description = "Also keep it as the token submit, status and list send by default.")
  boolean save;

  @Override
  int run(PrintWriter out) {
    if (hours < 1) {
      throw new CliFailure("--hours must be at least 1, was " + hours);
    }
    if (subject == null || subject.isBlank()) {
      throw new CliFailure("--subject must not be blank");
    }
    LocalAuth auth = LocalAuth.local();
    if (auth.ensureKeyPair()) {
      err().println("created a key pair; the trainer verifies with " + auth.publicKeyFile());
    }
    String token = auth.mint(subject, role.name(), Duration.ofHours(hours));
    if (save) {
      auth.saveToken(token);
    }
    out.println(token);
    return 0;
  }
}
