package io.qatfleet.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;

/** The machine a benchmark ran on, as every table under docs/benchmarks/ states it. */
public record MachineInfo(
    String cpuModel, int cores, double memoryGiB, String os, String jvm, Instant date) {

  /** This machine, now. */
  public static MachineInfo current() {
    return new MachineInfo(
        procField("/proc/cpuinfo", "model name").orElse(System.getProperty("os.arch")),
        Runtime.getRuntime().availableProcessors(),
        procField("/proc/meminfo", "MemTotal")
            .map(v -> Long.parseLong(v.replaceAll("[^0-9]", "")) / (1024.0 * 1024.0))
            .orElse(Double.NaN),
        System.getProperty("os.name") + " " + System.getProperty("os.version"),
        System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
        Instant.now().truncatedTo(ChronoUnit.SECONDS));
  }

  /** One Markdown paragraph: machine, date and the command that produced the table. */
  public String markdown(String command) {
    return String.format(
        Locale.ROOT,
        "Machine: %s, %d cores, %.1f GiB memory, %s, %s. Date: %s. Command: `%s`.%n",
        cpuModel,
        cores,
        memoryGiB,
        os,
        jvm,
        date,
        command);
  }

  private static Optional<String> procField(String file, String key) {
    try {
      return Files.readAllLines(Path.of(file)).stream()
          .filter(line -> line.startsWith(key))
          .map(line -> line.substring(line.indexOf(':') + 1).trim())
          .findFirst();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
