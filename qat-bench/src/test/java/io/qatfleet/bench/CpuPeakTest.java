package io.qatfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import org.junit.jupiter.api.Test;

/** The peak derived from /proc/cpuinfo texts of the machines this project has run on. */
class CpuPeakTest {
  private static final String INTEL_XEON_AVX512 =
      """
      processor\t: 0
      vendor_id\t: GenuineIntel
      cpu family\t: 6
      model\t\t: 106
      model name\t: Intel(R) Xeon(R) Processor @ 2.50GHz
      cpu MHz\t\t: 2499.998
      flags\t\t: fpu sse sse2 avx fma avx2 avx512f avx512dq avx512bw avx512vl
      """;

  private static final String AMD_ZEN4 =
      """
      processor\t: 0
      vendor_id\t: AuthenticAMD
      cpu family\t: 25
      model\t\t: 17
      model name\t: AMD EPYC
      cpu MHz\t\t: 2596.160
      flags\t\t: fpu sse sse2 fma avx avx2 avx512f avx512dq avx512bw avx512vl
      """;

  private static final String AMD_ZEN3_AVX2 =
      """
      vendor_id\t: AuthenticAMD
      cpu family\t: 25
      model\t\t: 1
      model name\t: AMD EPYC 7B13
      cpu MHz\t\t: 2450.000
      flags\t\t: fpu sse sse2 fma avx avx2
      """;

  private static final String AMD_ZEN5 =
      """
      vendor_id\t: AuthenticAMD
      cpu family\t: 26
      model name\t: AMD EPYC 9B45
      cpu MHz\t\t: 3000.000
      flags\t\t: fpu fma avx avx2 avx512f
      """;

  @Test
  void intelAvx512HasSixteenLanesAndTheClockOfItsModelName() {
    CpuPeak peak = CpuPeak.fromCpuinfo(INTEL_XEON_AVX512, 2);
    assertThat(peak.lanes()).isEqualTo(16);
    assertThat(peak.ghz()).isEqualTo(2.5);
    // 2 cores × 2 FMA × 16 lanes × 2 FLOPs × 2.5 GHz
    assertThat(peak.gflops()).isEqualTo(320.0);
  }

  @Test
  void amdZen4RunsAvx512OnEightLanesAndReadsTheClockFromCpuMhz() {
    CpuPeak peak = CpuPeak.fromCpuinfo(AMD_ZEN4, 2);
    assertThat(peak.lanes()).isEqualTo(8);
    assertThat(peak.ghz()).isEqualTo(2.59616);
    // 2 × 2 × 8 × 2 × 2.59616 = 166.15 GFLOP/s
    assertThat(peak.gflops()).isCloseTo(166.154, offset(1e-3));
    assertThat(peak.describe())
        .contains("8 FP32 lanes (AVX-512 on 256-bit datapaths, AMD family 25)")
        .contains("2.60 GHz (cpu MHz, nominal)")
        .doesNotContain("NaN");
  }

  @Test
  void avx2WithFmaHasEightLanesAndTwoUnits() {
    CpuPeak peak = CpuPeak.fromCpuinfo(AMD_ZEN3_AVX2, 2);
    assertThat(peak.lanes()).isEqualTo(8);
    assertThat(peak.fmaUnits()).isEqualTo(2);
    assertThat(peak.simd()).isEqualTo("AVX2 + FMA");
    assertThat(peak.gflops()).isCloseTo(2 * 2 * 8 * 2 * 2.45, offset(1e-9));
  }

  @Test
  void amdZen5HasFullWidthAvx512() {
    assertThat(CpuPeak.fromCpuinfo(AMD_ZEN5, 2).lanes()).isEqualTo(16);
  }

  @Test
  void missingClockIsSaidNotGuessed() {
    CpuPeak peak = CpuPeak.fromCpuinfo("flags\t: avx2 fma\n", 2);
    assertThat(peak.ghz()).isNaN();
    assertThat(peak.describe()).contains("(unknown)");
  }
}
