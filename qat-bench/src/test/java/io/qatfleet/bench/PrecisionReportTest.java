package io.qatfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The precision report's arithmetic on hand-made rows: accuracy deltas paired by seed, the goal
 * verdict, the assignments per seed, the PyTorch column, and which groups a resumed run keeps.
 */
class PrecisionReportTest {
  @TempDir Path dir;

  private static PrecisionRow row(
      long seed, String method, int w, List<Integer> bits, double kib, double acc) {
    return row(seed, method, w, bits, kib, acc, false);
  }

  private static PrecisionRow row(
      long seed, String method, int w, List<Integer> bits, double kib, double acc, boolean kd) {
    return new PrecisionRow(
        PrecisionRow.OURS,
        "fashion-mnist",
        "cnn",
        seed,
        method,
        w,
        8,
        bits,
        kib,
        method.equals(PrecisionRow.AUTO) ? kib + 1 : null,
        kd,
        acc,
        acc,
        null,
        3000,
        2000,
        3,
        1,
        128,
        1.0,
        null);
  }

  /**
   * Seed 1: float 0.900, uniform W4 0.880, uniform W3 0.870, auto at W3 0.878 (−0.2 pp against W4,
   * +0.8 against W3). Seed 2: float 0.910, W4 0.890, W3 0.860, auto 0.884 (−0.6, +2.4).
   */
  private static List<PrecisionRow> rows() {
    return List.of(
        row(1, PrecisionRow.FLOAT, 32, null, 1600, 0.900),
        row(1, PrecisionRow.UNIFORM, 4, List.of(8, 4, 4, 8), 210, 0.880),
        row(1, PrecisionRow.UNIFORM, 3, List.of(8, 3, 3, 8), 160, 0.870),
        row(1, PrecisionRow.AUTO, 3, List.of(8, 4, 2, 8), 150, 0.878),
        row(2, PrecisionRow.FLOAT, 32, null, 1600, 0.910),
        row(2, PrecisionRow.UNIFORM, 4, List.of(8, 4, 4, 8), 210, 0.890),
        row(2, PrecisionRow.UNIFORM, 3, List.of(8, 3, 3, 8), 160, 0.860),
        row(2, PrecisionRow.AUTO, 3, List.of(8, 4, 2, 8), 150, 0.884));
  }

  @Test
  void judgesGoalByMedianOfPerSeedDeltas() {
    String text = new PrecisionReport(rows(), List.of()).render();
    // Δ per seed: −0.2 and −0.6: median −0.4 misses the 0.3 pp tolerance.
    assertThat(text)
        .contains(
            "| fashion-mnist | cnn | no | 88.10 [87.80, 88.40] | 88.50 [88.00, 89.00] |"
                + " -0.40 [-0.60, -0.20] | no |")
        // No distilled rows: no goal row with distillation.
        .doesNotContain("| fashion-mnist | cnn | yes |");
  }

  @Test
  void listsUniformAndAutoRowsWithGainAtSameSizeAndBits() {
    String text = new PrecisionReport(rows(), List.of()).render();
    // Uniform W3: drops −3.0 and −5.0 pp; auto: −2.2 and −2.6, +0.8 and +2.4 over W3.
    assertThat(text)
        .contains(
            "| uniform W3 | 160.0 [160.0, 160.0] | 86.50 [86.00, 87.00] | -4.00 [-5.00, -3.00] |"
                + " — | — | — | 8,3,3,8 (2) |")
        .contains(
            "| auto ≤ W3 size | 150.0 [150.0, 150.0] | 88.10 [87.80, 88.40] |"
                + " -2.40 [-2.60, -2.20] | 1.60 [0.80, 2.40] | — | — | 8,4,2,8 (2) |");
  }

  @Test
  void showsPyTorchBesideUniformRows() {
    QualityRow peer =
        new QualityRow(
            QualityRow.PYTORCH,
            "1.13",
            "fashion-mnist",
            "cnn",
            1,
            "pytorch_qat",
            4,
            8,
            "per_channel",
            0.875,
            0.875,
            null,
            null,
            null,
            3000,
            2000,
            3,
            1,
            128,
            1.0);
    String text = new PrecisionReport(rows(), List.of(peer)).render();
    assertThat(text).contains("| 87.50 [87.50, 87.50] (1 seeds) | 8,4,4,8 (2) |");
  }

  /**
   * Distilled rows beside the plain ones. Seed 1: uniform W4 + KD 0.886 (+0.6 pp over W4), W3 + KD
   * 0.874 (+0.4), auto at W3 + KD 0.882 (+0.4 over auto, −0.4 against W4 + KD). Seed 2: W4 + KD
   * 0.888 (−0.2), W3 + KD 0.870 (+1.0), auto + KD 0.887 (+0.3, −0.1).
   */
  private static List<PrecisionRow> withDistillation() {
    List<PrecisionRow> rows = new ArrayList<>(rows());
    rows.add(row(1, PrecisionRow.UNIFORM, 4, List.of(8, 4, 4, 8), 210, 0.886, true));
    rows.add(row(1, PrecisionRow.UNIFORM, 3, List.of(8, 3, 3, 8), 160, 0.874, true));
    rows.add(row(1, PrecisionRow.AUTO, 3, List.of(8, 3, 3, 8), 160, 0.882, true));
    rows.add(row(2, PrecisionRow.UNIFORM, 4, List.of(8, 4, 4, 8), 210, 0.888, true));
    rows.add(row(2, PrecisionRow.UNIFORM, 3, List.of(8, 3, 3, 8), 160, 0.870, true));
    rows.add(row(2, PrecisionRow.AUTO, 3, List.of(8, 4, 2, 8), 150, 0.887, true));
    return rows;
  }

  @Test
  void distilledRowsShowTheirGainOverTheSameRowWithout() {
    String text = new PrecisionReport(withDistillation(), List.of()).render();
    // W3 + KD: drops −2.6 and −4.0 against float, +0.4 and +1.0 over W3 without.
    assertThat(text)
        .contains(
            "| uniform W3 + KD | 160.0 [160.0, 160.0] | 87.20 [87.00, 87.40] |"
                + " -3.30 [-4.00, -2.60] | — | 0.70 [0.40, 1.00] | — | 8,3,3,8 (2) |")
        // Auto + KD: +0.8 and +1.7 over W3 + KD; +0.4 and +0.3 over auto without.
        .contains(
            "| auto ≤ W3 size + KD | 155.0 [150.0, 160.0] | 88.45 [88.20, 88.70] |"
                + " -2.05 [-2.30, -1.80] | 1.25 [0.80, 1.70] | 0.35 [0.30, 0.40] | — |"
                + " 8,3,3,8 (1); 8,4,2,8 (1) |")
        // Rows in order: each width's uniform, uniform + KD, auto, auto + KD.
        .containsSubsequence("| uniform W3 |", "| uniform W3 + KD |", "| auto ≤ W3 size |");
    // The goal with distillation: auto + KD at W3 against W4 + KD: −0.4 and −0.1, median −0.25.
    assertThat(text)
        .contains(
            "| fashion-mnist | cnn | yes | 88.45 [88.20, 88.70] | 88.70 [88.60, 88.80] |"
                + " -0.25 [-0.40, -0.10] | yes |");
  }

  @Test
  void noPyTorchBesideDistilledRows() {
    QualityRow peer =
        new QualityRow(
            QualityRow.PYTORCH,
            "1.13",
            "fashion-mnist",
            "cnn",
            1,
            "pytorch_qat",
            4,
            8,
            "per_channel",
            0.875,
            0.875,
            null,
            null,
            null,
            3000,
            2000,
            3,
            1,
            128,
            1.0);
    String text = new PrecisionReport(withDistillation(), List.of(peer)).render();
    assertThat(text)
        .contains("| — | 87.50 [87.50, 87.50] (1 seeds) | 8,4,4,8 (2) |")
        .containsPattern("\\| uniform W4 \\+ KD \\|[^\\n]*\\| — \\| 8,4,4,8 \\(2\\) \\|");
  }

  private static final List<PrecisionGrid.Variant> VARIANTS =
      PrecisionGrid.variants(List.of(4, 3), List.of(3), List.of(false, true));

  @Test
  void listsEveryVariantOncePerDistillationSetting() {
    assertThat(VARIANTS.stream().map(v -> v.key(8)))
        .containsExactly(
            "uniform W4A8",
            "uniform W3A8",
            "uniform W4A8 kd",
            "uniform W3A8 kd",
            "auto W3A8",
            "auto W3A8 kd");
  }

  @Test
  void aResumedGroupMeasuresOnlyTheVariantsItLacks() {
    // Seed 1 has its float row and the plain variants: only the distilled ones are missing.
    List<PrecisionRow> seed1 = rows().stream().filter(r -> r.seed() == 1).toList();
    assertThat(PrecisionCommand.missing(seed1, VARIANTS, 8).stream().map(v -> v.key(8)))
        .containsExactly("uniform W4A8 kd", "uniform W3A8 kd", "auto W3A8 kd");
    // Complete: nothing to do.
    List<PrecisionRow> complete = withDistillation().stream().filter(r -> r.seed() == 1).toList();
    assertThat(PrecisionCommand.missing(complete, VARIANTS, 8)).isEmpty();
    // Rows measured at other activation bits do not count.
    assertThat(PrecisionCommand.missing(seed1, VARIANTS, 4)).hasSize(6);
  }

  @Test
  void aGroupWithoutItsFloatRowIsMeasuredWhole() {
    List<PrecisionRow> noFloat =
        withDistillation().stream().filter(r -> r.seed() == 2 && !r.isFloat()).toList();
    assertThat(PrecisionCommand.missing(noFloat, VARIANTS, 8)).isEqualTo(VARIANTS);
  }

  private static QualityRow peerRow(String model, long seed, String method) {
    return new QualityRow(
        QualityRow.PYTORCH,
        "1.13",
        "fashion-mnist",
        model,
        seed,
        method,
        4,
        8,
        "per_channel",
        0.8,
        0.8,
        null,
        null,
        null,
        3000,
        2000,
        3,
        1,
        128,
        1.0);
  }

  @Test
  void saysWhichModelsAndHowManySeedsThePeerRan() {
    assertThat(PrecisionCommand.peerCoverage(List.of())).isEqualTo("none");
    List<QualityRow> peer =
        List.of(
            peerRow("mlp", 1, "pytorch_qat"),
            peerRow("mlp", 2, "pytorch_qat"),
            peerRow("mlp", 2, "pytorch_qat"),
            peerRow("cnn", 1, "pytorch_qat"),
            // a float row alone does not count: the seed has no quantized row yet
            peerRow("cnn", 2, QualityRow.FLOAT));
    assertThat(PrecisionCommand.peerCoverage(peer)).isEqualTo("MLP at 2 seeds, CNN at 1 seed");
  }

  @Test
  void putsPeerRowsBesideResults() {
    assertThat(PrecisionCommand.peerFile(dir.resolve("precision-quick.jsonl")))
        .isEqualTo(dir.resolve("precision-quick-pytorch.jsonl"));
  }
}
