package io.qatfleet.bench;

import io.qatfleet.core.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The PyTorch side of the benchmarks: {@code bench/pytorch/qat_peer.py} run by Debian's {@code
 * python3-torch} under {@code /usr/bin/python3}, as a child process whose output is passed through.
 *
 * <p>The child runs on OpenBLAS where Debian's {@code libopenblas0-pthread} is installed, whatever
 * the system's {@code libblas.so.3} alternative says ({@code LD_LIBRARY_PATH} puts its directory
 * first). Torch parallelises with its own OpenMP pool ({@code --threads}); OpenBLAS runs on one
 * thread inside it ({@code OPENBLAS_NUM_THREADS=1}), because a second pool of spinning OpenBLAS
 * threads on the same cores oversubscribes them: measured here, the CNN float step at batch 256 ran
 * 2,110 samples/s with two OpenBLAS threads and 3,174 with one, the MLP 24,378 and 59,088.
 */
final class TorchPeer {
  static final Path SCRIPT = Path.of("bench", "pytorch", "qat_peer.py");
  static final Path OPENBLAS_DIR = Path.of("/usr/lib/x86_64-linux-gnu/openblas-pthread");
  private final String python;
  private final int threads;

  TorchPeer(String python, int threads) {
    this.python = python;
    this.threads = threads;
  }

  /** Null with the reason on {@code log} when the interpreter, the script or torch is missing. */
  static TorchPeer find(String python, int threads, PrintStream log) {
    if (!Files.isRegularFile(SCRIPT)) {
      log.println("pytorch peer: skipped, " + SCRIPT + " not found (run from the repository root)");
      return null;
    }
    TorchPeer peer = new TorchPeer(python, threads);
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
      Process p = processBuilder(command).redirectErrorStream(true).start();
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

  /** The BLAS the peer's GEMM calls, from {@code qat_peer.py blas}; throws when it cannot run. */
  PeerBlas blas() {
    List<String> command = List.of(python, SCRIPT.toString(), "blas", "--threads", "" + threads);
    try {
      Process p = processBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (p.waitFor() != 0) {
        throw new IllegalStateException("pytorch peer: " + String.join(" ", command) + " failed");
      }
      return PeerBlas.fromJson(Json.MAPPER.readTree(out));
    } catch (IOException e) {
      throw new IllegalStateException("pytorch peer: cannot read its BLAS: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private ProcessBuilder processBuilder(List<String> command) {
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> env = pb.environment();
    if (Files.isRegularFile(OPENBLAS_DIR.resolve("libblas.so.3"))) {
      String old = env.get("LD_LIBRARY_PATH");
      env.put("LD_LIBRARY_PATH", OPENBLAS_DIR + (old == null || old.isEmpty() ? "" : ":" + old));
    }
    env.put("OPENBLAS_NUM_THREADS", "1");
    env.put("OMP_NUM_THREADS", Integer.toString(threads));
    return pb;
  }
}
