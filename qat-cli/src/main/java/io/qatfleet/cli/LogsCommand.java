package io.qatfleet.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.qatfleet.cli.fleet.LocalFleet;
import io.qatfleet.cli.fleet.LocalPrometheus;
import io.qatfleet.cli.fleet.RunningFleet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code qat logs <part> [-f]}: the log of one part of the fleet {@code qat up} started ({@code
 * kafka}, {@code trainer-service}, {@code quantizer-service}, {@code validator-service}, {@code
 * prometheus}; {@code trainer}, {@code broker} and the like work too). {@code -f} keeps printing
 * what the part writes until it stops (or Ctrl-C). After {@code qat down} the logs are still read
 * from the fleet's directory.
 */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = "Show the log of a part of the `qat up` fleet (-f: follow it).")
final class LogsCommand extends FleetCommand {
  private static final Duration POLL = Duration.ofMillis(300);
  private static final int CHUNK = 64 * 1024;

  @Parameters(
      index = "0",
      paramLabel = "PART",
      description = "kafka, trainer-service, quantizer-service, validator-service or prometheus.")
  String part;

  @Option(
      names = {"-f", "--follow"},
      description = "Keep printing new lines until the part stops.")
  boolean follow;

  @Option(
      names = {"-n", "--tail"},
      paramLabel = "LINES",
      description = "Only the last LINES lines (default: all).")
  Integer tail;

  @Override
  int run(PrintWriter out) throws IOException, InterruptedException {
    if (!part.matches("[A-Za-z0-9-]{1,64}")) {
      throw new ParameterException(
          spec.commandLine(),
          "PART must be a part's name such as trainer-service, got '" + part + "'");
    }
    if (tail != null && tail < 0) {
      throw new ParameterException(spec.commandLine(), "--tail must be 0 or more, got " + tail);
    }
    Path home = RunningFleet.defaultDir();
    Optional<RunningFleet> fleet = UpCommand.readFleet(home);
    Optional<RunningFleet.Part> running = fleet.flatMap(f -> f.part(part));
    Path log =
        running
            .map(p -> Path.of(p.log()))
            .or(() -> keptLog(home.resolve("logs")))
            .orElseThrow(
                () ->
                    new CliFailure(
                        "no part '"
                            + part
                            + "' in "
                            + home
                            + "; the parts: "
                            + String.join(
                                ", ",
                                fleet
                                    .map(f -> f.parts().stream().map(p -> p.name()).toList())
                                    .orElse(
                                        List.of(
                                            LocalFleet.KAFKA,
                                            "trainer-service",
                                            "quantizer-service",
                                            "validator-service",
                                            LocalPrometheus.NAME)))));
    long position = printExisting(log, out);
    if (!follow || running.isEmpty()) {
      return 0;
    }
    RunningFleet.Part p = running.get();
    try (SeekableByteChannel in = Files.newByteChannel(log)) {
      ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
      boolean alive = true;
      while (true) {
        in.position(position);
        int n;
        while ((n = in.read(buffer.clear())) > 0) {
          out.print(new String(buffer.array(), 0, n, UTF_8));
          position += n;
        }
        out.flush();
        if (!alive) {
          return 0;
        }
        // One more read after the part stopped, for its last lines.
        alive = p.process().isPresent();
        Thread.sleep(POLL.toMillis());
      }
    }
  }

  /** The log of a part that no longer runs, as the fleet's directory keeps it. */
  private Optional<Path> keptLog(Path logs) {
    return Stream.of(part, part + "-service", part.equals("broker") ? LocalFleet.KAFKA : part)
        .map(name -> logs.resolve(name + ".log"))
        .filter(Files::isRegularFile)
        .findFirst();
  }

  /**
   * Prints the log (its last {@code --tail} lines, holding no more than those in memory) and
   * returns its size before printing, where following it starts.
   */
  private long printExisting(Path log, PrintWriter out) throws IOException {
    long size = Files.size(log);
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(Files.newInputStream(log), UTF_8))) {
      if (tail == null) {
        in.transferTo(out);
      } else if (tail > 0) {
        Deque<String> last = new ArrayDeque<>();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          if (last.size() == tail) {
            last.removeFirst();
          }
          last.addLast(line);
        }
        last.forEach(out::println);
      }
    }
    out.flush();
    return size;
  }
}
