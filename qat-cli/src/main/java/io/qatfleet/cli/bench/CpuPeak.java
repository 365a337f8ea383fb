package io.qatfleet.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The CPU's FP32 peak, computed as cores × FMA units × SIMD lanes × 2 FLOPs × clock, and what
 * TensorFlow's own MatMul reaches on this machine (the attainable ceiling for dense work).
 *
 * @param fmaUnits per core; not visible from /proc/cpuinfo, so assumed (two 512-bit FMA units on
 *     Xeon Scalable Gold/Platinum parts), which the MatMul measurement can contradict
 */
record CpuPeak(int cores, int fmaUnits, int lanes, double ghz, String simd) {
  static final int ASSUMED_FMA_UNITS = 2;
  private static final Pattern CLOCK = Pattern.compile("@\\s*([0-9.]+)\\s*GHz");

  double gflops() {
    return cores * fmaUnits * lanes * 2 * ghz;
  }

  static CpuPeak current() {
    String model = "";
    String flags = "";
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (model.isEmpty() && line.startsWith("model name")) {
          model = line;
        } else if (flags.isEmpty() && line.startsWith("flags")) {
          flags = " " + line.substring(line.indexOf(':') + 1) + " ";
        }
      }
    } catch (IOException e) {
      // leave the fields empty: the clock reads NaN and the table says so
    }
    Matcher m = CLOCK.matcher(model);
    double ghz = m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    boolean avx512 = flags.contains(" avx512f ");
    boolean fma = flags.contains(" fma ");
    return new CpuPeak(
        Runtime.getRuntime().availableProcessors(),
        fma ? ASSUMED_FMA_UNITS : 1,
        avx512 ? 16 : (flags.contains(" avx ") ? 8 : 4),
        ghz,
        avx512 ? "AVX-512" : (flags.contains(" avx2 ") ? "AVX2" : "SSE"));
  }

  String describe() {
    return String.format(
        Locale.ROOT,
        "%d cores × %d FMA units (assumed) × %d FP32 lanes (%s) × 2 FLOPs × %.2f GHz = %.0f"
            + " GFLOP/s",
        cores,
        fmaUnits,
        lanes,
        simd,
        ghz,
        gflops());
  }

  /** GFLOP/s of TensorFlow MatMul on two n×n float matrices: median of timed runs. */
  static List<Double> measureMatmul() {
    int n = 2048;
    float[] values = new float[n * n];
    Random random = new Random(1);
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextFloat() - 0.5f;
    }
    List<Double> out = new ArrayList<>();
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> a = tf.constant(Shape.of(n, n), DataBuffers.of(values, true, false));
      Operand<TFloat32> product = tf.linalg.matMul(a, a);
      for (int run = 0; run < 12; run++) {
        long t0 = System.nanoTime();
        s.runner().fetch(product).run().close();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (run >= 2) { // the first runs include graph optimisation
          out.add(2.0 * n * n * n / seconds / 1e9);
        }
      }
    }
    return out;
  }
}
