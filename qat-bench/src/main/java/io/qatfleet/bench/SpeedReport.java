package io.qatfleet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qatfleet.bench.SpeedCommand.Measured;
import io.qatfleet.core.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The speed benchmark's Markdown: throughput per phase and batch, ours against PyTorch and peak.
 */
final class SpeedReport {
  /** The goals. */
  static final double MAX_QAT_SLOWDOWN = 1.5;

  static final double MIN_PEAK_FRACTION = 0.5;

  private final CpuPeak peak;
  private final List<Double> matmulGflops;
  private final Map<String, Double> flopsPerSample;
  private final int[] bits;
  private final int threads;
  private final PeerBlas peerBlas;

  /**
   * @param peerBlas what the PyTorch peer ran on, or null without the peer
   */
  SpeedReport(
      CpuPeak peak,
      List<Double> matmulGflops,
      Map<String, Double> flopsPerSample,
      int[] bits,
      int threads,
      PeerBlas peerBlas) {
    this.peak = peak;
    this.matmulGflops = matmulGflops;
    this.flopsPerSample = flopsPerSample;
    this.bits = bits;
    this.threads = threads;
    this.peerBlas = peerBlas;
  }

  /** The BLAS recorded in the peer's speed JSON ({"blas": {...}}). */
  static PeerBlas readPeerBlas(Path file) {
    try {
      JsonNode root = Json.MAPPER.readTree(file.toFile());
      ObjectNode blas = root.path("blas").isObject() ? (ObjectNode) root.get("blas") : null;
      if (blas == null) {
        blas = Json.MAPPER.createObjectNode();
      }
      blas.put("torchVersion", root.path("version").asText());
      blas.put("torchPackage", root.path("torchPackage").asText());
      return PeerBlas.fromJson(blas);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the PyTorch peer's speed results " + file, e);
    }
  }

  /** The rows of the peer's speed JSON ({"rows": [{model, phase, batch, repeats: [...]}]}). */
  static List<Measured> readPeer(Path file) {
    try {
      JsonNode root = Json.MAPPER.readTree(file.toFile());
      List<Measured> out = new ArrayList<>();
      for (JsonNode row : root.path("rows")) {
        List<Double> repeats = new ArrayList<>();
        row.path("repeats").forEach(v -> repeats.add(v.asDouble()));
        out.add(
            new Measured(
                row.path("model").asText(),
                row.path("phase").asText(),
                row.path("batch").asInt(),
                repeats));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the PyTorch peer's speed results " + file, e);
    }
  }

  String render(List<Measured> ours, List<Measured> theirs) {
    StringBuilder out = new StringBuilder();
    Stats matmul = Stats.of(matmulGflops);
    out.append(
        String.format(
            Locale.ROOT,
            "FP32 peak: %s. TensorFlow MatMul 2048×2048 reaches %.0f GFLOP/s [%.0f, %.0f] here"
                + " (%.0f %% of that peak): the attainable ceiling for dense work. Training FLOPs"
                + " per sample = 3 × 2 × MACs of the conv and dense layers (backward = 2 ×"
                + " forward; element-wise ops, pooling and the optimizer not counted).%n%n",
            peak.describe(),
            matmul.median(),
            matmul.min(),
            matmul.max(),
            100 * matmul.median() / peak.gflops()));
    if (peerBlas != null) {
      out.append(peerBlas.describe()).append("\n\n");
    }
    out.append(
        String.format(
            Locale.ROOT,
            "Both frameworks use %d threads; QAT steps at W%dA%d, per-channel weights, first and"
                + " last layer 8-bit. Samples/s: median over every timed repeat of both rounds"
                + " [min, max]; a repeat is one pass over `steps` batches of real Fashion-MNIST"
                + " images including the batch copy into the framework.%n%n",
            threads,
            bits[0],
            bits[1]));
    out.append(
        "| model | batch | step | ours samples/s | QAT step time / float step | GFLOP/s (% of"
            + " peak) |\n|---|---|---|---|---|---|\n");
    for (Measured m : ours) {
      Stats s = Stats.of(m.samplesPerSecond());
      Optional<Stats> floatStep = find(ours, m.model(), "float", m.batch());
      double gflops = s.median() * flopsPerSample.getOrDefault(m.model(), Double.NaN) / 1e9;
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %s | %s | %s | %.1f (%.1f %%) |%n",
              m.model(),
              m.batch(),
              m.phase(),
              range(s),
              floatStep.map(f -> ratio(f.median() / s.median())).orElse("—"),
              gflops,
              100 * gflops / peak.gflops()));
    }
    if (!theirs.isEmpty()) {
      out.append("\n### PyTorch, same run\n\n");
      out.append(
          "| model | batch | step | PyTorch samples/s | QAT step time / float step | ours float /"
              + " PyTorch float |\n|---|---|---|---|---|---|\n");
      for (Measured m : theirs) {
        Stats s = Stats.of(m.samplesPerSecond());
        Optional<Stats> floatStep = find(theirs, m.model(), "float", m.batch());
        Optional<Stats> oursFloat = find(ours, m.model(), "float", m.batch());
        out.append(
            String.format(
                Locale.ROOT,
                "| %s | %d | %s | %s | %s | %s |%n",
                m.model(),
                m.batch(),
                m.phase(),
                range(s),
                floatStep.map(f -> ratio(f.median() / s.median())).orElse("—"),
                m.phase().equals("float")
                    ? oursFloat.map(o -> ratio(o.median() / s.median())).orElse("—")
                    : "—"));
      }
    }
    out.append('\n');
    return out.toString();
  }

  /**
   * Where a step's time goes: kernel milliseconds per step by op type for each phase (traced steps;
   * tracing adds its own overhead, so the shares matter more than the sums), the op types that take
   * the most time in any phase first.
   */
  static String profile(
      Map<String, Map<String, Map<String, Long>>> profiles, int batch, int steps) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "## Where the time goes%n%nKernel time per training step by TensorFlow op type"
                + " (ms, mean of %d traced steps at batch %d; kernels on both threads summed, so"
                + " the total can exceed the step's wall time). `total` sums every op.%n",
            steps,
            batch));
    for (Map.Entry<String, Map<String, Map<String, Long>>> model : profiles.entrySet()) {
      Map<String, Map<String, Long>> phases = model.getValue();
      Map<String, Long> worst = new HashMap<>();
      phases.values().forEach(p -> p.forEach((op, us) -> worst.merge(op, us, Math::max)));
      List<String> ops =
          worst.entrySet().stream()
              .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
              .limit(14)
              .map(Map.Entry::getKey)
              .toList();
      out.append("\n### ").append(model.getKey()).append("\n\n| op type |");
      phases.keySet().forEach(p -> out.append(' ').append(p).append(" |"));
      out.append("\n|---|");
      phases.keySet().forEach(p -> out.append("---|"));
      out.append('\n');
      for (String op : ops) {
        out.append("| ").append(op).append(" |");
        for (Map<String, Long> p : phases.values()) {
          out.append(String.format(Locale.ROOT, " %.2f |", p.getOrDefault(op, 0L) / 1e3 / steps));
        }
        out.append('\n');
      }
      out.append("| total |");
      for (Map<String, Long> p : phases.values()) {
        long total = p.values().stream().mapToLong(Long::longValue).sum();
        out.append(String.format(Locale.ROOT, " %.2f |", total / 1e3 / steps));
      }
      out.append('\n');
    }
    return out.append('\n').toString();
  }

  static Optional<Stats> find(List<Measured> in, String model, String phase, int batch) {
    return in.stream()
        .filter(m -> m.model().equals(model) && m.phase().equals(phase) && m.batch() == batch)
        .findFirst()
        .map(m -> Stats.of(m.samplesPerSecond()));
  }

  private static String range(Stats s) {
    return String.format(Locale.ROOT, "%.0f [%.0f, %.0f]", s.median(), s.min(), s.max());
  }

  private static String ratio(double r) {
    return String.format(Locale.ROOT, "%.2f×", r);
  }
}
