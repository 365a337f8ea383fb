package io.qatfleet.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The frame of a benchmark file under {@code docs/benchmarks/}: a title, {@link MachineInfo}'s
 * paragraph (machine, date, the command that regenerates the file) with the load average when the
 * run started, then the body; and how a table quotes repeated measurements.
 */
public final class BenchReport {
  private BenchReport() {}

  /** {@code ./qat bench} followed by the arguments {@link BenchCli} was given. */
  public static String command(List<String> args) {
    // Arguments with spaces or shell characters in single quotes, so the line can be pasted.
    return "./qat bench "
        + String.join(
            " ",
            args.stream()
                .map(
                    a ->
                        a.matches("[A-Za-z0-9_./,=:@%+-]+")
                            ? a
                            : "'" + a.replace("'", "'\\''") + "'")
                .toList());
  }

  /** The 1-minute load average now, or NaN where the platform has none. */
  public static double loadAverage() {
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return load < 0 ? Double.NaN : load;
  }

  /** The heading lines of a benchmark file, ending with an empty line. */
  public static String header(
      String title, MachineInfo machine, String command, double loadAverage) {
    return String.format(
        Locale.ROOT,
        "# %s%n%n%sLoad average (1 min) when it started: %s.%n%n",
        title,
        machine.markdown(command),
        Double.isNaN(loadAverage) ? "unknown" : String.format(Locale.ROOT, "%.2f", loadAverage));
  }

  /** The median, then min–max in parentheses when there was more than one value: "118 (97–130)". */
  static String quote(Stats s, int decimals) {
    String f = "%." + decimals + "f";
    String median = String.format(Locale.ROOT, f, s.median());
    if (s.count() == 1) {
      return median;
    }
    return median + String.format(Locale.ROOT, " (" + f + "–" + f + ")", s.min(), s.max());
  }

  /** Prints {@code text} and writes it to {@code out} (parent directories created). */
  public static void publish(String text, Path out, PrintStream console) throws IOException {
    console.print(text);
    if (out != null) {
      Path parent = out.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(out, text);
      console.println("written to " + out);
    }
  }
}
