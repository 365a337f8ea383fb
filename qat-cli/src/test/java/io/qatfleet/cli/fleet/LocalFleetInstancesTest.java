package io.qatfleet.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which processes a fleet with several trainers runs, without starting any. */
class LocalFleetInstancesTest {
  @TempDir Path root;

  @Test
  void startsTheTrainersFirstThenTheQuantizerAndTheValidator() {
    assertThat(LocalFleet.instances(1)).containsExactlyElementsOf(LocalFleet.START_ORDER);
    assertThat(LocalFleet.instances(3))
        .containsExactly(
            "trainer-service",
            "trainer-service-2",
            "trainer-service-3",
            "quantizer-service",
            "validator-service");
  }

  @Test
  void everyTrainerInstanceRunsTheTrainerService() {
    assertThat(LocalFleet.serviceOf("trainer-service-2")).isEqualTo("trainer-service");
    assertThat(LocalFleet.serviceOf("trainer-service")).isEqualTo("trainer-service");
    assertThat(LocalFleet.serviceOf("validator-service")).isEqualTo("validator-service");
  }

  @Test
  void needsAtLeastOneTrainer() {
    assertThatThrownBy(() -> LocalFleet.start(root, root.resolve("run"), "127.0.0.1:1", 47000, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("trainers must be at least 1");
  }
}
