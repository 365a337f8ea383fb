package io.qatfleet.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Renders the quality benchmark's rows (ours and the PyTorch peer's) as Markdown: the goals, one
 * table per dataset and model (methods × bit widths, median over seeds and the spread of the drop
 * against each seed's own float model), and hard projection against shadow weights.
 */
final class QualityReport {
  /** The goals: largest allowed drop (pp) against float at these bit widths. */
  static final Map<String, Double> GOALS = Map.of("W8A8", 0.3, "W4A4", 1.0, "W2A2", 4.0);

  /** The product's default method, the one the goals are judged on. */
  static final String HEADLINE_METHOD = "lsq_pact";

  static final String PEER_METHOD = "pytorch_qat";
  private static final String PER_CHANNEL = "per_channel";

  private final List<QualityRow> rows;
  private final Map<String, Double> floatAccuracy = new LinkedHashMap<>();
  private final Map<String, Double> continuedAccuracy = new LinkedHashMap<>();

  QualityReport(List<QualityRow> rows) {
    this.rows = List.copyOf(rows);
    for (QualityRow r : rows) {
      if (r.isFloat()) {
        floatAccuracy.put(r.group(), r.accuracy());
      } else if (r.method().equals(QualityGrid.FLOAT_CONTINUED)) {
        continuedAccuracy.put(r.group(), r.accuracy());
      }
    }
  }

  /** Drop (pp) of each seed's row against that seed's float model. */
  private List<Double> drops(Predicate<QualityRow> which) {
    return drops(which, floatAccuracy);
  }

  private List<Double> drops(Predicate<QualityRow> which, Map<String, Double> references) {
    List<Double> out = new ArrayList<>();
    for (QualityRow r : rows) {
      Double reference = references.get(r.group());
      if (!r.isFloat() && reference != null && which.test(r)) {
        out.add(100 * (r.accuracy() - reference));
      }
    }
    return out;
  }

  private List<Double> accuracies(Predicate<QualityRow> which) {
    return rows.stream().filter(which).map(r -> 100 * r.accuracy()).toList();
  }

  private static Predicate<QualityRow> cell(
      String framework,
      String dataset,
      String model,
      String method,
      String bits,
      String granularity) {
    return r ->
        r.framework().equals(framework)
            && r.dataset().equals(dataset)
            && r.model().equals(model)
            && r.method().equals(method)
            && bits(r).equals(bits)
            && Objects.equals(r.granularity(), granularity);
  }

  static String bits(QualityRow r) {
    return "W" + r.weightBits() + "A" + r.activationBits();
  }

  /** The whole document body after the header the command writes. */
  String render(List<String> bitOrder) {
    StringBuilder out = new StringBuilder();
    Set<String> datasetModels = new LinkedHashSet<>();
    rows.forEach(r -> datasetModels.add(r.dataset() + "/" + r.model()));
    out.append(goals(datasetModels));
    for (String dm : datasetModels) {
      String[] parts = dm.split("/");
      out.append(table(parts[0], parts[1], bitOrder));
    }
    out.append(hardProjection(datasetModels));
    return out.toString();
  }

  private String goals(Set<String> datasetModels) {
    StringBuilder out = new StringBuilder();
    out.append("## Goals\n\n");
    out.append(
        "Ours = LSQ weights + PACT activations, per-channel weights (the default method);"
            + " PyTorch = eager-mode QAT, per-channel weights. Δ = median over seeds of the"
            + " drop against that seed's float model, [min, max].\n\n");
    out.append(
        "| dataset | model | bits | goal Δ ≥ | ours Δ (pp) | ours Δ vs float trained as long"
            + " | PyTorch Δ (pp) | ours ≥ PyTorch (accuracy, same seeds) | goal met |\n"
            + "|---|---|---|---|---|---|---|---|---|\n");
    for (String dm : datasetModels) {
      String[] p = dm.split("/");
      for (String bits : List.of("W8A8", "W4A4", "W2A2")) {
        Predicate<QualityRow> headline =
            cell(QualityRow.OURS, p[0], p[1], HEADLINE_METHOD, bits, PER_CHANNEL);
        List<Double> ours = drops(headline);
        List<Double> oursVsContinued = drops(headline, continuedAccuracy);
        List<Double> peer =
            drops(cell(QualityRow.PYTORCH, p[0], p[1], PEER_METHOD, bits, PER_CHANNEL));
        if (ours.isEmpty()) {
          continue;
        }
        double limit = GOALS.get(bits);
        Stats o = Stats.of(ours);
        String versus = "—";
        if (!peer.isEmpty()) {
          // Accuracies, not drops (the two float models differ), on the seeds both have.
          Map<Long, Double> peerBySeed = new LinkedHashMap<>();
          rows.stream()
              .filter(cell(QualityRow.PYTORCH, p[0], p[1], PEER_METHOD, bits, PER_CHANNEL))
              .forEach(r -> peerBySeed.put(r.seed(), r.accuracy()));
          List<Double> diffs =
              rows.stream()
                  .filter(cell(QualityRow.OURS, p[0], p[1], HEADLINE_METHOD, bits, PER_CHANNEL))
                  .filter(r -> peerBySeed.containsKey(r.seed()))
                  .map(r -> 100 * (r.accuracy() - peerBySeed.get(r.seed())))
                  .toList();
          if (!diffs.isEmpty()) {
            Stats d = Stats.of(diffs);
            versus =
                String.format(
                    Locale.ROOT,
                    "%s (%+.2f pp, %d seed%s)",
                    d.median() >= 0 ? "yes" : "no",
                    d.median(),
                    d.count(),
                    d.count() == 1 ? "" : "s");
          }
        }
        out.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %s | −%.1f | %s | %s | %s | %s | %s |%n",
                p[0],
                p[1],
                bits,
                limit,
                spread(o),
                oursVsContinued.isEmpty() ? "—" : spread(Stats.of(oursVsContinued)),
                peer.isEmpty() ? "—" : spread(Stats.of(peer)),
                versus,
                o.median() >= -limit ? "yes" : "no"));
      }
    }
    return out.append('\n').toString();
  }

  private String table(String dataset, String model, List<String> bitOrder) {
    StringBuilder out = new StringBuilder();
    out.append("## ").append(dataset).append(", ").append(model).append("\n\n");
    for (String framework : List.of(QualityRow.OURS, QualityRow.PYTORCH)) {
      List<Double> f =
          accuracies(cell(framework, dataset, model, QualityRow.FLOAT, "W32A32", null));
      if (!f.isEmpty()) {
        Stats s = Stats.of(f);
        out.append(
            String.format(
                Locale.ROOT,
                "Float (%s): %.2f %% [%.2f, %.2f] over %d seeds.  %n",
                framework,
                s.median(),
                s.min(),
                s.max(),
                s.count()));
      }
    }
    List<Double> continued =
        accuracies(
            cell(QualityRow.OURS, dataset, model, QualityGrid.FLOAT_CONTINUED, "W32A32", null));
    if (!continued.isEmpty()) {
      Stats s = Stats.of(continued);
      out.append(
          String.format(
              Locale.ROOT,
              "Float trained on for the QAT epochs too, no quantizers (qat-fleet): %.2f %% [%.2f,"
                  + " %.2f]: how much of a QAT row's gain is the extra epoch, not quantization.  %n",
              s.median(),
              s.min(),
              s.max()));
    }
    out.append(
        "\nCells: median test accuracy (%) over seeds, then the median drop against each"
            + " seed's float model (pp) [min, max]; one seed unless the cell says more (cells over"
            + " different seeds are not comparable to the last digit).\n\n"
            + "| framework | method | weights |");
    bitOrder.forEach(b -> out.append(' ').append(b).append(" |"));
    out.append("\n|---|---|---|");
    bitOrder.forEach(b -> out.append("---|"));
    out.append('\n');
    Set<String> lines = new LinkedHashSet<>();
    for (QualityRow r : rows) {
      if (r.dataset().equals(dataset)
          && r.model().equals(model)
          && !r.isFloat()
          && !r.method().equals(QualityGrid.FLOAT_CONTINUED)
          && !r.method().equals(QualityGrid.STE_HARD)) {
        lines.add(r.framework() + "|" + r.method() + "|" + r.granularity());
      }
    }
    for (String line : lines) {
      String[] k = line.split("\\|");
      out.append("| ").append(k[0]).append(" | ").append(k[1]).append(" | ");
      out.append(k[2].replace('_', '-')).append(" |");
      for (String bits : bitOrder) {
        Predicate<QualityRow> c = cell(k[0], dataset, model, k[1], bits, k[2]);
        List<Double> acc = accuracies(c);
        List<Double> drop = drops(c);
        out.append(' ');
        if (acc.isEmpty() || drop.isEmpty()) {
          out.append('—');
        } else {
          out.append(
              String.format(
                  Locale.ROOT,
                  "%.2f, %s%s",
                  Stats.of(acc).median(),
                  spread(Stats.of(drop)),
                  drop.size() > 1 ? ", " + drop.size() + " seeds" : ""));
        }
        out.append(" |");
      }
      out.append('\n');
    }
    return out.append('\n').toString();
  }

  private String hardProjection(Set<String> datasetModels) {
    StringBuilder out = new StringBuilder();
    if (rows.stream().noneMatch(r -> r.method().equals(QualityGrid.STE_HARD))) {
      return "";
    }
    out.append("## Hard projection vs float shadow weights\n\n");
    out.append(
        "Fixed-range STE, per-channel weights. Shadow: the optimizer updates float weights that"
            + " are fake-quantized in the forward pass (the design). Hard: after every step the"
            + " weights are overwritten with their projection onto the integer grid, so updates"
            + " smaller than half a step round away. Δ (pp) against float, median [min, max].\n\n");
    out.append("| dataset | model | bits | shadow weights + STE | hard projection |\n");
    out.append("|---|---|---|---|---|\n");
    for (String dm : datasetModels) {
      String[] p = dm.split("/");
      Set<String> bitsSeen = new LinkedHashSet<>();
      rows.stream()
          .filter(
              r ->
                  r.method().equals(QualityGrid.STE_HARD)
                      && (r.dataset() + "/" + r.model()).equals(dm))
          .forEach(r -> bitsSeen.add(bits(r)));
      for (String bits : bitsSeen) {
        List<Double> shadow = drops(cell(QualityRow.OURS, p[0], p[1], "ste", bits, PER_CHANNEL));
        List<Double> hard =
            drops(cell(QualityRow.OURS, p[0], p[1], QualityGrid.STE_HARD, bits, PER_CHANNEL));
        out.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %s | %s | %s |%n",
                p[0],
                p[1],
                bits,
                shadow.isEmpty() ? "—" : spread(Stats.of(shadow)),
                spread(Stats.of(hard))));
      }
    }
    return out.append('\n').toString();
  }

  /**
   * The distillation section from its own rows ({@code qat bench quality --distillation}): per
   * dataset, model and bit width, LSQ+PACT without and with distillation from the same seed's float
   * model, the gain paired by seed, and the goal judged on the distilled rows. {@code main}
   * are the main tables' rows: the section says on how many seeds its float models are theirs.
   */
  static String distillation(List<QualityRow> kdRows, List<QualityRow> main, Object source) {
    QualityReport r = new QualityReport(kdRows);
    StringBuilder out = new StringBuilder();
    out.append("## Distillation\n\n");
    out.append(
        String.format(
            Locale.ROOT,
            "Measured by `./qat bench quality --distillation` with the budget above: per seed the"
                + " float model, then from it LSQ+PACT QAT with per-channel weights (as in the"
                + " tables above) without and with distillation from that float model"
                + " (`training.distillation` at its defaults, α %.1f and T %.0f: loss ="
                + " α·CE(labels) + (1−α)·T²·KL to the float model's softened outputs). Δ = median"
                + " over seeds of the drop against that seed's float model, [min, max]; KD gain ="
                + " with − without, paired by seed. Raw rows: `%s`.%n%n",
            io.qatfleet.core.train.Distillation.DEFAULT_ALPHA,
            io.qatfleet.core.train.Distillation.DEFAULT_TEMPERATURE,
            source));
    Map<String, Double> mainFloat = new LinkedHashMap<>();
    main.stream().filter(QualityRow::isFloat).forEach(m -> mainFloat.put(m.group(), m.accuracy()));
    long floats = kdRows.stream().filter(QualityRow::isFloat).count();
    long same =
        kdRows.stream()
            .filter(QualityRow::isFloat)
            .filter(f -> Objects.equals(mainFloat.get(f.group()), f.accuracy()))
            .count();
    out.append(
        String.format(
            Locale.ROOT,
            "Float models identical in accuracy to the main tables' of the same seed: %d of %d"
                + " (training is seeded; the same accuracy on all test images means the same"
                + " model).%n%n",
            same,
            floats));
    out.append(
        "| dataset | model | bits | float (%) | without distillation Δ (pp) | with distillation"
            + " Δ (pp) | KD gain (pp) | goal Δ ≥ | goal met with distillation |\n"
            + "|---|---|---|---|---|---|---|---|---|\n");
    Set<String> lines = new LinkedHashSet<>();
    kdRows.stream()
        .filter(k -> k.method().equals(QualityGrid.LSQ_PACT_KD))
        .forEach(k -> lines.add(k.dataset() + "/" + k.model() + "/" + bits(k)));
    for (String line : lines) {
      String[] p = line.split("/");
      Predicate<QualityRow> without =
          cell(QualityRow.OURS, p[0], p[1], HEADLINE_METHOD, p[2], PER_CHANNEL);
      Predicate<QualityRow> with =
          cell(QualityRow.OURS, p[0], p[1], QualityGrid.LSQ_PACT_KD, p[2], PER_CHANNEL);
      List<Double> dropWith = r.drops(with);
      List<Double> dropWithout = r.drops(without);
      Map<Long, Double> withoutBySeed = new LinkedHashMap<>();
      kdRows.stream().filter(without).forEach(w -> withoutBySeed.put(w.seed(), w.accuracy()));
      List<Double> gain =
          kdRows.stream()
              .filter(with)
              .filter(w -> withoutBySeed.containsKey(w.seed()))
              .map(w -> 100 * (w.accuracy() - withoutBySeed.get(w.seed())))
              .toList();
      List<Double> f =
          r.accuracies(cell(QualityRow.OURS, p[0], p[1], QualityRow.FLOAT, "W32A32", null));
      Double limit = GOALS.get(p[2]);
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
              p[0],
              p[1],
              p[2],
              f.isEmpty() ? "—" : range(Stats.of(f)) + " (" + f.size() + " seeds)",
              dropWithout.isEmpty() ? "—" : spread(Stats.of(dropWithout)),
              dropWith.isEmpty() ? "—" : spread(Stats.of(dropWith)),
              gain.isEmpty() ? "—" : spread(Stats.of(gain)),
              limit == null ? "—" : String.format(Locale.ROOT, "−%.1f", limit),
              limit == null || dropWith.isEmpty()
                  ? "—"
                  : Stats.of(dropWith).median() >= -limit ? "yes" : "no"));
    }
    return out.append('\n').toString();
  }

  private static String range(Stats s) {
    return String.format(Locale.ROOT, "%.2f [%.2f, %.2f]", s.median(), s.min(), s.max());
  }

  private static String spread(Stats s) {
    return String.format(Locale.ROOT, "%+.2f [%+.2f, %+.2f]", s.median(), s.min(), s.max());
  }
}
