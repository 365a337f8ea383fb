package io.qatfleet.cli.fleet;

import io.qatfleet.messaging.approval.ApprovalKeys;
import io.qatfleet.messaging.integrity.EventSeal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The keys of a local fleet, from the environment the services read them from, else kept under the
 * run directory's {@code state/} (made on first start): the event key all services seal and verify
 * with, and the Ed25519 pair the validator signs approvals with.
 */
final class FleetKeys {
  static final String PRIVATE_KEY_ENV = "QAT_APPROVAL_PRIVATE_KEY_FILE";
  static final String PUBLIC_KEY_ENV = "QAT_APPROVAL_PUBLIC_KEY_FILE";
  static final String EVENT_KEY_ENV = "QAT_EVENT_KEY";

  /** The approval key pair's files. */
  record ApprovalKeyFiles(Path privateKey, Path publicKey) {}

  private FleetKeys() {}

  /**
   * The fleet's event key ({@code QAT_EVENT_KEY}, base64) when set, else the one kept under the
   * run's state directory, made on first start ({@code event.key}, readable by its owner only): a
   * fleet started again on the same run directory must verify the events it sealed before.
   */
  static String eventKey(Path runDir, String configured) throws IOException {
    if (configured != null && !configured.isBlank()) {
      EventSeal.fromBase64(EVENT_KEY_ENV, configured);
      return configured.strip();
    }
    Path file = runDir.resolve("state").resolve("event.key");
    if (!Files.exists(file)) {
      Files.createDirectories(file.getParent());
      Path tmp = Files.createTempFile(file.getParent(), ".event-key", ".tmp");
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      Files.writeString(tmp, EventSeal.generateKey() + "\n");
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    }
    String key = Files.readString(file).strip();
    EventSeal.fromBase64(file.toString(), key);
    return key;
  }

  /** The configured key pair, or a new one under the run's state directory when none is. */
  static ApprovalKeyFiles approvalKeys(Path runDir, String privateKey, String publicKey)
      throws IOException {
    boolean hasPrivate = privateKey != null && !privateKey.isBlank();
    boolean hasPublic = publicKey != null && !publicKey.isBlank();
    if (hasPrivate != hasPublic) {
      throw new FleetStartException(
          "approval key",
          (hasPrivate ? PRIVATE_KEY_ENV : PUBLIC_KEY_ENV)
              + " is set but "
              + (hasPrivate ? PUBLIC_KEY_ENV : PRIVATE_KEY_ENV)
              + " is not: set both (one Ed25519 pair), or neither to have the fleet make one",
          "");
    }
    if (hasPrivate) {
      return new ApprovalKeyFiles(
          Path.of(privateKey).toAbsolutePath(), Path.of(publicKey).toAbsolutePath());
    }
    Path dir = runDir.resolve("state").resolve("approval-key");
    if (!Files.exists(dir.resolve(ApprovalKeys.PUBLIC_KEY_FILE))) {
      ApprovalKeys.generateInto(dir);
    }
    return new ApprovalKeyFiles(
        dir.resolve(ApprovalKeys.PRIVATE_KEY_FILE).toAbsolutePath(),
        dir.resolve(ApprovalKeys.PUBLIC_KEY_FILE).toAbsolutePath());
  }
}
