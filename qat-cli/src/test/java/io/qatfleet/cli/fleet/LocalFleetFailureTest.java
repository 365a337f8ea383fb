package io.qatfleet.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.qatfleet.messaging.approval.ApprovalKeys;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service that dies while starting is reported by name with the tail of its log, and the fleet
 * leaves no process behind. The "services" are jars whose manifest names a main class that does not
 * exist, so {@code java -jar} starts and exits with an error; the bootstrap address is a dummy, so
 * no broker is started. A port another process listens on is refused before anything starts.
 */
class LocalFleetFailureTest {
  private static final String MISSING_MAIN = "io.qatfleet.fake.NoSuchMain";

  /** Far from the services' own ports, so a fleet running beside the test never answers. */
  private static final int PORT_OFFSET = 47000;

  @TempDir Path root;

  @Test
  void namesServiceThatDiesWhileStartingAndStopsEverything() throws IOException {
    for (String service : LocalFleet.START_ORDER) {
      writeJarWithMissingMain(root.resolve(service).resolve("target/quarkus-app/quarkus-run.jar"));
    }

    FleetStartException e =
        catchThrowableOfType(
            FleetStartException.class,
            () -> LocalFleet.start(root, root.resolve("run"), "127.0.0.1:1", PORT_OFFSET));

    assertThat(e.part()).isEqualTo("trainer-service");
    assertThat(e.getMessage()).contains("trainer-service", "exited with code");
    assertThat(e.logTail()).contains(MISSING_MAIN);
    assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)).isEmpty();
  }

  @Test
  void namesServiceThatIsNotBuilt() {
    FleetStartException e =
        catchThrowableOfType(
            FleetStartException.class,
            () -> LocalFleet.start(root, root.resolve("run"), "127.0.0.1:1", PORT_OFFSET));

    assertThat(e.part()).isEqualTo("trainer-service");
    assertThat(e.getMessage()).contains("quarkus-run.jar is missing");
    assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)).isEmpty();
  }

  @Test
  void refusesToStartOnAPortAnotherProcessListensOn() throws IOException {
    for (String service : LocalFleet.START_ORDER) {
      writeJarWithMissingMain(root.resolve(service).resolve("target/quarkus-app/quarkus-run.jar"));
    }
    int offset = offsetWithAllPortsFree();
    int taken = LocalFleet.MANAGEMENT_PORTS.get("quantizer-service") + offset;
    try (ServerSocket stranger = new ServerSocket(taken)) {
      FleetStartException e =
          catchThrowableOfType(
              FleetStartException.class,
              () -> LocalFleet.start(root, root.resolve("run"), "127.0.0.1:1", offset));

      assertThat(e.part()).isEqualTo("quantizer-service");
      assertThat(e.getMessage()).contains("management port " + taken + " is in use");
      assertThat(ProcessHandle.current().descendants())
          .as("nothing is started when a port is taken")
          .isEmpty();
    }
  }

  /**
   * An offset that puts every service port below the kernel's ephemeral range (32768 and up on
   * Linux) and on ports nobody listens on right now. A port picked from the ephemeral range put the
   * trainer's ports next to the client connections of whatever else runs, and once one of them was
   * taken, so the trainer, not the quantizer, was refused.
   */
  private static int offsetWithAllPortsFree() {
    for (int offset = 12_000; offset < 20_000; offset += 10) {
      if (allFree(LocalFleet.SERVICES.values(), offset)
          && allFree(LocalFleet.MANAGEMENT_PORTS.values(), offset)) {
        return offset;
      }
    }
    throw new IllegalStateException("no offset in 12000..20000 leaves every service port free");
  }

  private static boolean allFree(Iterable<Integer> ports, int offset) {
    for (int port : ports) {
      try (ServerSocket probe = new ServerSocket(port + offset)) {
        // free
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }

  @Test
  void generatesOneApprovalKeyPairUnderTheRunsStateDirectory() throws Exception {
    assumeTrue(
        System.getenv("QAT_APPROVAL_PRIVATE_KEY_FILE") == null,
        "a configured approval key pair is used as it is");
    Path keyDir = root.resolve("run/state/approval-key");

    catchThrowableOfType(
        FleetStartException.class,
        () -> LocalFleet.start(root, root.resolve("run"), "127.0.0.1:1", PORT_OFFSET));
    String publicKey = Files.readString(keyDir.resolve(ApprovalKeys.PUBLIC_KEY_FILE));
    catchThrowableOfType(
        FleetStartException.class,
        () -> LocalFleet.start(root, root.resolve("run"), "127.0.0.1:1", PORT_OFFSET));

    ApprovalKeys.signer(
        keyDir.resolve(ApprovalKeys.PRIVATE_KEY_FILE),
        keyDir.resolve(ApprovalKeys.PUBLIC_KEY_FILE));
    assertThat(Files.readString(keyDir.resolve(ApprovalKeys.PUBLIC_KEY_FILE)))
        .as("a second start on the same run directory keeps the key")
        .isEqualTo(publicKey);
  }

  private static void writeJarWithMissingMain(Path jar) throws IOException {
    Files.createDirectories(jar.getParent());
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, MISSING_MAIN);
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file, manifest)) {
      out.flush();
    }
  }
}
