package io.qatfleet.bench;

import io.qatfleet.core.model.TensorFlowThreads;
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
 * The CPU's FP32 peak, computed as cores × FMA units × SIMD lanes × 2 FLOPs × clock from the CPU's
 * own flags, and what TensorFlow's own MatMul reaches on this machine (the attainable ceiling for
 * dense work).
 *
 * <p>The lanes are those of the execution units, not of the instruction set: AMD's Zen 4 (family 25
 * with {@code avx512f}) runs AVX-512 on 256-bit datapaths, so it has 8 FP32 lanes like AVX2;
 * Intel's AVX-512 parts and AMD's Zen 5 (family 26) have 16. The clock is the model name's "@ x
 * GHz" where the vendor writes it (Intel), else the kernel's {@code cpu MHz} reading (AMD under a
 * hypervisor names no clock).
 *
 * @param fmaUnits per core; not visible from /proc/cpuinfo, so assumed (two FMA pipes on every part
 *     this runs on: Xeon Scalable Gold/Platinum, Zen 2 and later), which the MatMul measurement can
 *     contradict
 * @param simd how the lanes were derived, printed with the peak
 * @param clockSource where the clock came from, printed with the peak
 */
record CpuPeak(int cores, int fmaUnits, int lanes, double ghz, String simd, String clockSource) {
  static final int ASSUMED_FMA_UNITS = 2;
  private static final Pattern CLOCK = Pattern.compile("@\\s*([0-9.]+)\\s*GHz");
  private static final int AMD_ZEN5_FAMILY = 26;

  double gflops() {
    return cores * fmaUnits * lanes * 2 * ghz;
  }

  static CpuPeak current() {
    String cpuinfo;
    try {
      cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
    } catch (IOException e) {
      cpuinfo = ""; // the clock reads NaN and the table says so
    }
    return fromCpuinfo(cpuinfo, Runtime.getRuntime().availableProcessors());
  }

  /** The peak of the first processor described in a {@code /proc/cpuinfo} text. */
  static CpuPeak fromCpuinfo(String cpuinfo, int cores) {
    String model = field(cpuinfo, "model name");
    String vendor = field(cpuinfo, "vendor_id");
    String flags = " " + field(cpuinfo, "flags") + " ";
    int family = parseInt(field(cpuinfo, "cpu family"));
    boolean fma = flags.contains(" fma ");
    boolean avx512 = flags.contains(" avx512f ");
    boolean avx2 = flags.contains(" avx2 ");
    boolean amd = vendor.equals("AuthenticAMD");
    int lanes;
    String simd;
    if (avx512 && amd && family < AMD_ZEN5_FAMILY) {
      lanes = 8;
      simd = "AVX-512 on 256-bit datapaths, AMD family " + family;
    } else if (avx512) {
      lanes = 16;
      simd = "AVX-512";
    } else if (avx2 || flags.contains(" avx ")) {
      lanes = 8;
      simd = fma ? "AVX2 + FMA" : "AVX";
    } else {
      lanes = 4;
      simd = "SSE";
    }
    Matcher m = CLOCK.matcher(model);
    double ghz;
    String clockSource;
    if (m.find()) {
      ghz = Double.parseDouble(m.group(1));
      clockSource = "model name";
    } else {
      String mhz = field(cpuinfo, "cpu MHz");
      ghz = mhz.isEmpty() ? Double.NaN : Double.parseDouble(mhz) / 1000;
      // Under a hypervisor this is the nominal clock; boost clocks can lift MatMul above the peak.
      clockSource = mhz.isEmpty() ? "unknown" : "cpu MHz, nominal";
    }
    return new CpuPeak(cores, fma ? ASSUMED_FMA_UNITS : 1, lanes, ghz, simd, clockSource);
  }

  private static String field(String cpuinfo, String key) {
    for (String line : cpuinfo.split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
        return line.substring(colon + 1).trim();
      }
    }
    return "";
  }

  private static int parseInt(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  String describe() {
    return String.format(
        Locale.ROOT,
        "%d cores × %d FMA units (assumed) × %d FP32 lanes (%s) × 2 FLOPs × %.2f GHz (%s) = %.0f"
            + " GFLOP/s",
        cores,
        fmaUnits,
        lanes,
        simd,
        ghz,
        clockSource,
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
        Session s = new Session(g, TensorFlowThreads.current().configProto())) {
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
