package io.qatfleet.bench;

import java.io.PrintStream;
import picocli.CommandLine.Option;

/** The PyTorch peer's options, shared by the benchmarks that run it beside ours. */
final class PeerOptions {
  @Option(
      names = "--torch",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Run the PyTorch peer too (default: yes, when it can be found).")
  boolean torch;

  @Option(names = "--python", defaultValue = "/usr/bin/python3")
  String python;

  @Option(names = "--threads", defaultValue = "2", description = "PyTorch threads.")
  int threads;

  /** The peer, or null when not asked for or not runnable (the reason goes to {@code log}). */
  TorchPeer find(PrintStream log) {
    return torch ? TorchPeer.find(python, threads, log) : null;
  }
}
