package io.qatfleet.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FleetProcessesTest {

  @Test
  void readsKernelCpuLists() {
    assertThat(FleetProcesses.parseCpuList("0-1\n")).containsExactly(0, 1);
    assertThat(FleetProcesses.parseCpuList(" 0-2,8,10-11")).containsExactly(0, 1, 2, 8, 10, 11);
    assertThat(FleetProcesses.parseCpuList("5")).containsExactly(5);
  }

  @Test
  void refusesWhatIsNotACpuList() {
    for (String bad : new String[] {"", "a", "3-1", "1-2-3", "-1", "0-99999"}) {
      assertThatThrownBy(() -> FleetProcesses.parseCpuList(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not a CPU list");
    }
  }

  @Test
  void thisProcessMayRunOnAtLeastTheCpusTheJvmCounts() {
    // availableProcessors() is the affinity mask narrowed further by a CPU quota, never more
    assertThat(FleetProcesses.allowedCpus())
        .doesNotHaveDuplicates()
        .hasSizeGreaterThanOrEqualTo(Runtime.getRuntime().availableProcessors());
  }
}
