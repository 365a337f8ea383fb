package io.qatfleet.cli.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The PyTorch side of the benchmarks: {@code bench/pytorch/qat_peer.py} run by Debian's {@code
 * python3-torch} under {@code /usr/bin/python3}, as a child process whose output is passed through.
 */
final class TorchPeer {
  static final Path SCRIPT = Path.of("bench", "pytorch", "qat_peer.py");
  private final String python;

  TorchPeer(String python) {
    this.python = python;
  }

  /** Null with the reason on {@code log} when the interpreter, the script or torch is missing. */
  static TorchPeer find(String python, PrintStream log) {
    if (!Files.isRegularFile(SCRIPT)) {
      log.println("pytorch peer: skipped, " + SCRIPT + " not found (run from the repository root)");
      return null;
    }
    TorchPeer peer = new TorchPeer(python);
    try {
      Process p =
          new ProcessBuilder(python, "-c", "import torch")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (p.waitFor() != 0) {
        log.println(
            "pytorch peer: skipped, "
                + python
                + " cannot import torch"
                + " (apt-get install python3-torch)");
        return null;
      }
    } catch (IOException e) {
      log.println("pytorch peer: skipped, cannot run " + python + ": " + e.getMessage());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    return peer;
  }

  /** Runs {@code qat_peer.py <args>}; throws when it fails. */
  void run(List<String> args, PrintStream log) {
    List<String> command = new ArrayList<>(List.of(python, "-u", SCRIPT.toString()));
    command.addAll(args);
    log.println("pytorch peer: " + String.join(" ", command));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().transferTo(log);
      int rc = p.waitFor();
      if (rc != 0) {
        throw new IllegalStateException("pytorch peer failed with exit code " + rc);
      }
    } catch (IOException e) {
      throw new IllegalStateException("pytorch peer: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
