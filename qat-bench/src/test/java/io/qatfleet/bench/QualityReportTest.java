package io.qatfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quality report's arithmetic on hand-made rows: drops against each seed's own float model,
 * medians and ranges over seeds, the goal verdicts, the PyTorch comparison, and which groups a
 * resumed run keeps.
 */
class QualityReportTest {
  @TempDir Path dir;

  private static QualityRow row(
      String framework, long seed, String method, int w, int a, String granularity, double acc) {
    return new QualityRow(
        framework,
        "v",
        "fashion-mnist",
        "cnn",
        seed,
        method,
        w,
        a,
        granularity,
        acc,
        acc,
        null,
        null,
        null,
        1000,
        1000,
        4,
        1,
        128,
        1.0);
  }

  private static QualityRow floatRow(String framework, long seed, double acc) {
    return row(framework, seed, QualityRow.FLOAT, 32, 32, null, acc);
  }

  @Test
  void dropsAreAgainstEachSeedsOwnFloatModelAndGoalsAreJudgedOnTheMedian() {
    List<QualityRow> rows = new ArrayList<>();
    // Seed floats differ; each seed's W8A8 is 0.2 pp below its own float, W2A2 5 pp below.
    double[] floats = {0.90, 0.88, 0.92};
    for (int s = 0; s < 3; s++) {
      rows.add(floatRow(QualityRow.OURS, s + 1, floats[s]));
      rows.add(row(QualityRow.OURS, s + 1, "lsq_pact", 8, 8, "per_channel", floats[s] - 0.002));
      rows.add(row(QualityRow.OURS, s + 1, "lsq_pact", 2, 2, "per_channel", floats[s] - 0.05));
    }
    String md = new QualityReport(rows).render(List.of("W8A8", "W2A2"));
    assertThat(md)
        .contains("| fashion-mnist | cnn | W8A8 | −0.3 | -0.20 [-0.20, -0.20] |")
        .contains("| fashion-mnist | cnn | W2A2 | −4.0 | -5.00 [-5.00, -5.00] |");
    assertThat(md.lines().filter(l -> l.contains("| W8A8 | −0.3 |")).findFirst().orElseThrow())
        .endsWith("| yes |");
    assertThat(md.lines().filter(l -> l.contains("| W2A2 | −4.0 |")).findFirst().orElseThrow())
        .endsWith("| no |");
    // The table cell: median accuracy over seeds, then the drop.
    assertThat(md)
        .contains("| qat-fleet | lsq_pact | per-channel | 89.80, -0.20 [-0.20, -0.20], 3 seeds |");
  }

  @Test
  void comparesAccuraciesWithPytorchNotDrops() {
    List<QualityRow> rows = new ArrayList<>();
    rows.add(floatRow(QualityRow.OURS, 1, 0.90));
    rows.add(row(QualityRow.OURS, 1, "lsq_pact", 4, 4, "per_channel", 0.89));
    // PyTorch's float is worse, so its drop is smaller, but its W4A4 accuracy is lower.
    rows.add(floatRow(QualityRow.PYTORCH, 1, 0.88));
    rows.add(row(QualityRow.PYTORCH, 1, "pytorch_qat", 4, 4, "per_channel", 0.875));
    String md = new QualityReport(rows).render(List.of("W4A4"));
    assertThat(md).contains("| yes (+1.50 pp, 1 seed) |");
  }

  @Test
  void comparesWithPytorchOnlyOnTheSeedsBothHave() {
    List<QualityRow> rows = new ArrayList<>();
    double[] ours = {0.80, 0.90, 0.91}; // seed 1 is our worst
    for (int s = 0; s < 3; s++) {
      rows.add(floatRow(QualityRow.OURS, s + 1, 0.92));
      rows.add(row(QualityRow.OURS, s + 1, "lsq_pact", 4, 4, "per_channel", ours[s]));
    }
    rows.add(floatRow(QualityRow.PYTORCH, 1, 0.92));
    rows.add(row(QualityRow.PYTORCH, 1, "pytorch_qat", 4, 4, "per_channel", 0.85));
    String md = new QualityReport(rows).render(List.of("W4A4"));
    // Our median over all seeds (0.90) beats 0.85, but on seed 1 alone we are 5 pp behind.
    assertThat(md).contains("| no (-5.00 pp, 1 seed) |");
  }

  @Test
  void aResumedRunKeepsOnlyCompleteGroups() {
    List<QualityRow> rows = new ArrayList<>();
    rows.add(floatRow(QualityRow.OURS, 1, 0.9));
    rows.add(row(QualityRow.OURS, 1, "ste", 4, 4, "per_channel", 0.89));
    rows.add(row(QualityRow.OURS, 1, "lsq", 4, 4, "per_channel", 0.89));
    rows.add(floatRow(QualityRow.OURS, 2, 0.9)); // seed 2 stopped after one variant
    rows.add(row(QualityRow.OURS, 2, "ste", 4, 4, "per_channel", 0.89));
    rows.add(row(QualityRow.OURS, 3, "ste", 4, 4, "per_channel", 0.89)); // no float row
    rows.add(row(QualityRow.OURS, 3, "lsq", 4, 4, "per_channel", 0.89));
    rows.add(floatRow(QualityRow.PYTORCH, 1, 0.9));
    rows.add(row(QualityRow.PYTORCH, 1, "pytorch_qat", 4, 4, "per_channel", 0.88));
    List<QualityRow> kept =
        QualityCommand.keepCompleteGroups(
            rows, Set.of("ste W4A4 per_channel", "lsq W4A4 per_channel"), 1);
    assertThat(kept)
        .extracting(QualityRow::group)
        .containsOnly("qat-fleet/fashion-mnist/cnn/1", "pytorch/fashion-mnist/cnn/1");
    assertThat(kept).hasSize(5);
  }

  @Test
  void aPeerOnlyRunLeavesEveryRowOfOursAlone() {
    List<QualityRow> rows = new ArrayList<>();
    rows.add(floatRow(QualityRow.OURS, 2, 0.9)); // incomplete, but not this run's to redo
    rows.add(row(QualityRow.OURS, 2, "ste", 4, 4, "per_channel", 0.89));
    rows.add(floatRow(QualityRow.PYTORCH, 1, 0.9)); // no quantized row: redone
    List<QualityRow> kept = QualityCommand.keepCompleteGroups(rows, null, 1);
    assertThat(kept).extracting(QualityRow::group).containsOnly("qat-fleet/fashion-mnist/cnn/2");
    assertThat(kept).hasSize(2);
  }

  @Test
  void describesHowThePeerBuildsGraphModelsOnlyWhenItHasTheirRows() {
    List<QualityRow> rows = new ArrayList<>();
    rows.add(floatRow(QualityRow.PYTORCH, 1, 0.9));
    assertThat(QualityCommand.graphPeer(rows)).isEmpty();
    QualityRow f = floatRow(QualityRow.PYTORCH, 1, 0.9);
    rows.add(
        new QualityRow(
            f.framework(),
            f.version(),
            f.dataset(),
            "resnet8",
            1,
            f.method(),
            32,
            32,
            null,
            0.9,
            0.9,
            null,
            null,
            null,
            1000,
            1000,
            4,
            1,
            128,
            1.0));
    assertThat(QualityCommand.graphPeer(rows)).startsWith("PyTorch's resnet8: ");
  }

  @Test
  void saysWhichAccuracyOurRowsReport() {
    List<QualityRow> rows = new ArrayList<>();
    rows.add(floatRow(QualityRow.OURS, 1, 0.9));
    QualityRow q = row(QualityRow.OURS, 1, "lsq_pact", 4, 4, "per_channel", 0.89);
    rows.add(q);
    assertThat(QualityCommand.oursAccuracy(rows)).contains("fake-quantized TensorFlow graph (");
    rows.add(
        new QualityRow(
            q.framework(),
            q.version(),
            q.dataset(),
            q.model(),
            1,
            q.method(),
            8,
            8,
            q.granularity(),
            0.9,
            0.9,
            0.9,
            0.9,
            null,
            1000,
            1000,
            4,
            1,
            128,
            1.0));
    assertThat(QualityCommand.oursAccuracy(rows))
        .contains("integer engine on the projected model (1 of 2 quantized rows");
    rows.remove(q);
    assertThat(QualityCommand.oursAccuracy(rows))
        .contains("integer engine on the projected model (the fake-quantized");
  }

  @Test
  void leavesOutTheHardProjectionSectionWithoutItsRows() {
    List<QualityRow> rows = new ArrayList<>();
    rows.add(floatRow(QualityRow.OURS, 1, 0.9));
    rows.add(row(QualityRow.OURS, 1, "lsq_pact", 4, 4, "per_channel", 0.89));
    assertThat(new QualityReport(rows).render(List.of("W4A4"))).doesNotContain("Hard projection");
    rows.add(row(QualityRow.OURS, 1, QualityGrid.STE_HARD, 4, 4, "per_channel", 0.8));
    assertThat(new QualityReport(rows).render(List.of("W4A4"))).contains("Hard projection");
  }

  /**
   * Three seeds; floats 0.90, 0.88, 0.92. Without distillation W2A2 drops 5.0, 6.0, 4.0 pp; with it
   * 3.5, 4.5, 4.2 pp: gains +1.5, +1.5, −0.2.
   */
  private static List<QualityRow> distillationRows() {
    List<QualityRow> rows = new ArrayList<>();
    double[] floats = {0.90, 0.88, 0.92};
    double[] without = {0.05, 0.06, 0.04};
    double[] with = {0.035, 0.045, 0.042};
    for (int s = 0; s < 3; s++) {
      rows.add(floatRow(QualityRow.OURS, s + 1, floats[s]));
      rows.add(
          row(QualityRow.OURS, s + 1, "lsq_pact", 2, 2, "per_channel", floats[s] - without[s]));
      rows.add(
          row(
              QualityRow.OURS,
              s + 1,
              QualityGrid.LSQ_PACT_KD,
              2,
              2,
              "per_channel",
              floats[s] - with[s]));
    }
    return rows;
  }

  @Test
  void distillationSectionPairsWithAndWithoutBySeedAndJudgesTheGoalOnTheDistilledRows() {
    String md = QualityReport.distillation(distillationRows(), List.of(), "kd.jsonl");
    // Float 90.00 [88.00, 92.00]; without −5.0 median; with −4.2 median (misses −4.0); gain +1.5.
    assertThat(md)
        .contains(
            "| fashion-mnist | cnn | W2A2 | 90.00 [88.00, 92.00] (3 seeds) | -5.00 [-6.00, -4.00]"
                + " | -4.20 [-4.50, -3.50] | +1.50 [-0.20, +1.50] | −4.0 | no |")
        .contains("Raw rows: `kd.jsonl`");
  }

  @Test
  void distillationGoalIsMetWhenTheDistilledMedianIsWithinTheLimit() {
    List<QualityRow> rows = new ArrayList<>(distillationRows());
    // Seed 3 distilled better: drops 3.5, 4.5, 3.0: median 3.5, within 4.0.
    rows.removeIf(r -> r.seed() == 3 && r.method().equals(QualityGrid.LSQ_PACT_KD));
    rows.add(row(QualityRow.OURS, 3, QualityGrid.LSQ_PACT_KD, 2, 2, "per_channel", 0.89));
    String md = QualityReport.distillation(rows, List.of(), "kd.jsonl");
    assertThat(md).contains("| -3.50 [-4.50, -3.00] |").contains("| −4.0 | yes |");
  }

  @Test
  void distillationSectionCountsFloatModelsThatAreTheMainTablesOwn() {
    List<QualityRow> main = new ArrayList<>();
    main.add(floatRow(QualityRow.OURS, 1, 0.90)); // the same model
    main.add(floatRow(QualityRow.OURS, 2, 0.881)); // another one
    String md = QualityReport.distillation(distillationRows(), main, "kd.jsonl");
    assertThat(md).contains("the same seed: 1 of 3");
  }

  @Test
  void resultsFileRoundTripsAndABadLineIsNamed() throws Exception {
    Path file = dir.resolve("q.jsonl");
    QualityRow a = floatRow(QualityRow.OURS, 1, 0.9);
    QualityRow b = row(QualityRow.OURS, 1, "ste", 4, 4, "per_channel", 0.89);
    a.append(file);
    b.append(file);
    assertThat(QualityRow.read(file)).containsExactly(a, b);
    Files.writeString(
        file,
        "{\"framework\": \"x\", \"seed\": \"not a number\"}\n",
        java.nio.file.StandardOpenOption.APPEND);
    assertThatThrownBy(() -> QualityRow.read(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 3");
  }

  @Test
  void statsAreMedianAndRange() {
    assertThat(Stats.of(3, 1, 2)).isEqualTo(new Stats(2, 1, 3, 3));
    assertThat(Stats.of(4, 1, 2, 3).median()).isEqualTo(2.5);
    assertThatThrownBy(() -> Stats.of(List.of())).isInstanceOf(IllegalArgumentException.class);
  }
}
