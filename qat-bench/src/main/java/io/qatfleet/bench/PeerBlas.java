package io.qatfleet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/**
 * The BLAS the PyTorch peer's GEMM really calls, as {@code qat_peer.py blas} reports it. Debian's
 * torch links the generic {@code libblas.so.3}; on the reference BLAS its GEMM is an order of
 * magnitude slower, so a speed comparison is written only against an optimized one.
 *
 * @param library the file {@code sgemm_} resolves to from libtorch, or null when it cannot be told
 * @param kind openblas, blis, mkl, atlas, reference or unknown
 * @param gemmGflops a 1024² single-precision GEMM through torch, on the peer's threads
 */
record PeerBlas(
    String library,
    String kind,
    String packageName,
    String torchBuild,
    String cpuCapability,
    int threads,
    String openblasThreads,
    double gemmGflops,
    String torchVersion,
    String torchPackage) {

  static PeerBlas fromJson(JsonNode n) {
    return new PeerBlas(
        text(n, "library"),
        n.path("kind").asText("unknown"),
        text(n, "package"),
        text(n, "torchBlasInfo"),
        text(n, "cpuCapability"),
        n.path("torchThreads").asInt(),
        text(n, "openblasNumThreads"),
        n.path("gemm1024Gflops").asDouble(Double.NaN),
        text(n, "torchVersion"),
        text(n, "torchPackage"));
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  /** True for an optimized BLAS we can name; the reference BLAS and an unknown one are not. */
  boolean optimized() {
    return !kind.equals("reference") && !kind.equals("unknown");
  }

  /** Why no comparison is written, naming the library and the fix. */
  String refusal() {
    return String.format(
        Locale.ROOT,
        "the PyTorch peer's GEMM runs on %s BLAS (%s, %.1f GFLOP/s on a 1024² GEMM): a speed"
            + " comparison against it would flatter us. Install an optimized BLAS"
            + " (scripts/install-bench-peer.sh installs libopenblas0-pthread) or pass --no-torch",
        kind.equals("reference") ? "the reference" : "an unidentified",
        library == null ? "sgemm_ not resolvable from libtorch_cpu" : library,
        gemmGflops);
  }

  /** One Markdown sentence for the table header: what the peer ran on. */
  String describe() {
    return String.format(
        Locale.ROOT,
        "PyTorch peer: torch %s (Debian python3-torch %s), GEMM from %s (`%s`, package %s;"
            + " torch built with BLAS_INFO=%s, CPU capability %s), %d torch threads,"
            + " OPENBLAS_NUM_THREADS=%s; a 1024² FP32 GEMM through torch reaches %.1f GFLOP/s.",
        torchVersion,
        torchPackage,
        kind,
        library,
        packageName,
        torchBuild,
        cpuCapability,
        threads,
        openblasThreads == null ? "unset" : openblasThreads,
        gemmGflops);
  }
}
