package io.qatfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The short chaos suite CI runs (the full one is {@code ./qat bench chaos}, docs/benchmarks/
 * reliability.md): two jobs through the local fleet while six faults hit it — four SIGKILLs of
 * random services, a broker restart and a 20-second broker outage — and the hostile inputs. Nothing
 * may be lost or approved twice, every service must be alive at the end, every hostile input
 * refused with its reason.
 */
class ChaosBenchIT {

  @Test
  void losesNothingUnderFaultsAndRefusesHostileInput() throws Exception {
    Path root = Path.of(System.getProperty("qat.repo.root", "..")).toAbsolutePath().normalize();
    Path target = root.resolve("qat-bench/target");
    Path out = target.resolve("reliability-ci.md");
    int code =
        new CommandLine(new ChaosBench())
            .execute(
                "--jobs",
                "2",
                "--faults",
                "6",
                "--broker-down-seconds",
                "20",
                "--gap-seconds",
                "5,12",
                "--timeout-minutes",
                "15",
                "--port-offset",
                "400",
                "--seed",
                "7",
                "--out",
                out.toString(),
                "--runs-dir",
                target.resolve("chaos").toString(),
                "--repo",
                root.toString());

    String report = Files.readString(out);
    assertThat(report).contains("| jobs lost | 0 |").contains("| duplicate approvals | 0 |");
    assertThat(code).as(report).isZero();
  }
}
