package io.qatfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.model.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The speed report's FLOP count, peak arithmetic and table, on known numbers. */
class SpeedCommandTest {
  @TempDir Path dir;

  @Test
  void trainingFlopsOfTheSmallCnnAreThreeTimesTheForwardMacsTimesTwo() {
    // conv1 28·28·(3·3·1·32), conv2 14·14·(3·3·32·64), dense 3136·128, output 128·10
    double macs = 28 * 28 * 288 + 14 * 14 * 18432 + 3136 * 128 + 128 * 10;
    assertThat(SpeedCommand.trainingFlopsPerSample(ModelSpec.smallCnn())).isEqualTo(6 * macs);
    assertThat(SpeedCommand.trainingFlopsPerSample(ModelSpec.mlp()))
        .isEqualTo(6.0 * (784 * 256 + 256 * 128 + 128 * 10));
  }

  @Test
  void peakIsCoresTimesUnitsTimesLanesTimesTwoTimesClock() {
    CpuPeak peak = new CpuPeak(2, 2, 16, 2.5, "AVX-512", "model name");
    assertThat(peak.gflops()).isEqualTo(320.0);
    assertThat(peak.describe()).contains("= 320 GFLOP/s");
  }

  @Test
  void reportShowsQatSlowdownAndFractionOfPeakAndReadsThePeersJson() throws Exception {
    Path peerJson = dir.resolve("peer.json");
    Files.writeString(
        peerJson,
        """
        {"framework": "pytorch", "version": "1.13.0a0", "torchPackage": "1.13.1+dfsg-4",
         "blas": {"library": "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
                  "kind": "openblas", "package": "libopenblas0-pthread",
                  "torchBlasInfo": "generic", "cpuCapability": "AVX2", "torchThreads": 2,
                  "openblasNumThreads": "2", "gemm1024Gflops": 161.6},
         "rows": [
          {"model": "mlp", "phase": "float", "batch": 64, "samplesPerSecond": 1000,
           "repeats": [900, 1000, 1100]}]}
        """);
    List<SpeedCommand.Measured> peer = SpeedReport.readPeer(peerJson);
    PeerBlas blas = SpeedReport.readPeerBlas(peerJson);
    assertThat(blas.optimized()).isTrue();
    assertThat(peer).hasSize(1);
    List<SpeedCommand.Measured> ours =
        List.of(
            new SpeedCommand.Measured("mlp", "float", 64, List.of(2000.0, 2000.0)),
            new SpeedCommand.Measured("mlp", "qat ste", 64, List.of(1000.0)));
    double flops = 1e6;
    String md =
        new SpeedReport(
                new CpuPeak(2, 2, 16, 2.5, "AVX-512", "model name"),
                List.of(100.0),
                Map.of("mlp", flops),
                new int[] {4, 4},
                2,
                blas)
            .render(ours, peer);
    // 2000 samples/s × 1 MFLOP = 2 GFLOP/s = 0.6 % of 320
    assertThat(md).contains("| mlp | 64 | float | 2000 [2000, 2000] | 1.00× | 2.0 (0.6 %) |");
    assertThat(md).contains("| mlp | 64 | qat ste | 1000 [1000, 1000] | 2.00× |");
    assertThat(md).contains("| mlp | 64 | float | 1000 [900, 1100] | 1.00× | 2.00× |");
    assertThat(md)
        .contains(
            "GEMM from openblas (`/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3`,"
                + " package libopenblas0-pthread")
        .contains("OPENBLAS_NUM_THREADS=2; a 1024² FP32 GEMM through torch reaches 161.6 GFLOP/s");
  }

  @Test
  void refusesAPeerOnTheReferenceBlasOrAnUnknownOne() throws Exception {
    Path peerJson = dir.resolve("reference.json");
    Files.writeString(
        peerJson,
        """
        {"version": "1.13.0a0", "blas": {"library": "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3",
         "kind": "reference", "gemm1024Gflops": 5.0}, "rows": []}
        """);
    PeerBlas reference = SpeedReport.readPeerBlas(peerJson);
    assertThat(reference.optimized()).isFalse();
    assertThat(reference.refusal())
        .contains("the reference BLAS (/usr/lib/x86_64-linux-gnu/blas/libblas.so.3, 5.0 GFLOP/s")
        .contains("scripts/install-bench-peer.sh");
    Files.writeString(peerJson, "{\"rows\": []}");
    assertThat(SpeedReport.readPeerBlas(peerJson).optimized()).isFalse();
  }
}
