package io.qatfleet.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file a `qat up` fleet leaves, and how its processes are recognised and stopped. */
class RunningFleetTest {
  @TempDir Path dir;

  @Test
  void readsBackWhatItWrote() {
    RunningFleet fleet = fleet(part("kafka", ProcessHandle.current()));

    fleet.write();

    assertThat(RunningFleet.read(dir)).contains(fleet);
    assertThat(RunningFleet.read(dir.resolve("elsewhere"))).isEmpty();
  }

  @Test
  void takesAPidStartedAtAnotherTimeForSomeoneElses() {
    ProcessHandle me = ProcessHandle.current();
    Instant started = me.info().startInstant().orElseThrow();
    RunningFleet.Part mine = part("kafka", me);
    RunningFleet.Part recycled =
        new RunningFleet.Part(
            "kafka", me.pid(), started.minus(Duration.ofHours(1)), "x", null, "kafka.log");

    assertThat(mine.process()).isPresent();
    assertThat(recycled.process()).isEmpty();
    assertThat(fleet(mine, recycled).running()).containsExactly(mine);
  }

  @Test
  void stopsEveryPartAndLeavesNoneRunning() throws Exception {
    Process service = new ProcessBuilder("sleep", "300").start();
    Process broker = new ProcessBuilder("sleep", "300").start();
    RunningFleet fleet =
        fleet(part("kafka", broker.toHandle()), part("trainer-service", service.toHandle()));

    List<RunningFleet.Part> stopped = fleet.stop();

    assertThat(stopped)
        .extracting(RunningFleet.Part::name)
        .containsExactly("trainer-service", "kafka");
    // Dead, though the JVM may not have reaped them yet when stop() returns: Process.isAlive()
    // stays true until it has, so wait for the exit it must have caused (sleep 300 lasts 300 s).
    assertThat(service.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(broker.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(fleet.running()).isEmpty();
    assertThat(fleet.stop()).isEmpty();
  }

  @Test
  void findsPartsByShortNames() {
    RunningFleet fleet =
        fleet(
            part("kafka", ProcessHandle.current()),
            part("trainer-service", ProcessHandle.current()));

    assertThat(fleet.part("trainer")).map(RunningFleet.Part::name).contains("trainer-service");
    assertThat(fleet.part("broker")).map(RunningFleet.Part::name).contains("kafka");
    assertThat(fleet.part("grafana")).isEmpty();
  }

  @Test
  void namesAFileThatIsNotAFleets() throws Exception {
    Files.writeString(dir.resolve(RunningFleet.FILE), "{\"dir\": 3, \"parts\": \"no\"");

    assertThatThrownBy(() -> RunningFleet.read(dir))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(dir.resolve(RunningFleet.FILE).toString());
  }

  private RunningFleet.Part part(String name, ProcessHandle process) {
    return RunningFleet.Part.of(name, process, "127.0.0.1:1", null, dir.resolve("logs"));
  }

  private RunningFleet fleet(RunningFleet.Part... parts) {
    return new RunningFleet(
        dir.toString(),
        "127.0.0.1:1",
        "http://127.0.0.1:2",
        "http://127.0.0.1:3",
        dir.resolve("key.pem").toString(),
        Instant.parse("2026-01-01T00:00:00Z"),
        List.of(parts));
  }
}
