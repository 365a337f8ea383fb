package io.qatfleet.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The precision benchmark's tables from its rows: the goal (automatic bits at the size of uniform
 * 3-bit weights against uniform 4-bit accuracy), then per dataset and model every uniform width and
 * automatic budget, without and with distillation ("+ KD"), with its size, accuracy, drop against
 * the same seed's float model, the automatic rows' gain over uniform weights of the same size and
 * distillation, and the distilled rows' gain over the same row without. Medians over seeds with
 * [min, max].
 */
final class PrecisionReport {
  /** The goal's tolerance: auto at W3 size within this many pp of uniform W4. */
  static final double GOAL_PP = 0.3;

  private final List<PrecisionRow> rows;
  private final List<QualityRow> peer;

  PrecisionReport(List<PrecisionRow> rows, List<QualityRow> peer) {
    this.rows = rows;
    this.peer = peer;
  }

  String render() {
    StringBuilder out = new StringBuilder();
    Set<String> panels = new LinkedHashSet<>();
    rows.forEach(r -> panels.add(r.dataset() + "/" + r.model()));
    out.append("## Goal\n\n")
        .append(
            String.format(
                Locale.ROOT,
                "Automatic mixed precision at the size of uniform 3-bit weights reaches uniform"
                    + " 4-bit accuracy within %.1f pp. Δ = median over seeds of (auto at W3 size −"
                    + " uniform W4) on the same seed's float model, [min, max].%n%n",
                GOAL_PP));
    MarkdownTable goal =
        new MarkdownTable(
            "dataset",
            "model",
            "distillation",
            "auto at W3 size (%)",
            "uniform W4 (%)",
            "Δ (pp)",
            "goal met");
    for (String panel : panels) {
      String[] dm = panel.split("/");
      for (boolean kd : List.of(false, true)) {
        List<Double> deltas = paired(dm[0], dm[1], auto(3, kd), uniform(4, kd));
        if (deltas.isEmpty()) {
          continue;
        }
        Stats d = Stats.of(deltas);
        goal.row(
            dm[0],
            dm[1],
            kd ? "yes" : "no",
            accuracy(dm[0], dm[1], auto(3, kd)),
            accuracy(dm[0], dm[1], uniform(4, kd)),
            range(d),
            d.median() >= -GOAL_PP ? "yes" : "no");
      }
    }
    out.append(goal.render()).append('\n');
    for (String panel : panels) {
      String[] dm = panel.split("/");
      out.append(panel(dm[0], dm[1]));
    }
    return out.toString();
  }

  private String panel(String dataset, String model) {
    StringBuilder out = new StringBuilder();
    out.append("## ").append(dataset).append(", ").append(model).append("\n\n");
    List<PrecisionRow> floats = select(dataset, model, PrecisionRow::isFloat);
    if (!floats.isEmpty()) {
      out.append(
          String.format(
              Locale.ROOT,
              "Float: %s %% over %d seed(s), %.1f KiB.%n%n",
              range(Stats.of(floats.stream().map(r -> 100 * r.accuracy()).toList())),
              floats.size(),
              floats.get(0).sizeKiB()));
    }
    MarkdownTable t =
        new MarkdownTable(
            "weights",
            "size (KiB)",
            "accuracy (%)",
            "Δ vs float (pp)",
            "vs uniform, same size (pp)",
            "distillation gain (pp)",
            "PyTorch uniform (%)",
            "bits per layer (seeds)");
    Set<Integer> widths = new TreeSet<>(Comparator.reverseOrder());
    select(dataset, model, r -> !r.isFloat()).forEach(r -> widths.add(r.weightBits()));
    for (int w : widths) {
      for (boolean isAuto : List.of(false, true)) {
        for (boolean kd : List.of(false, true)) {
          Predicate<PrecisionRow> kind = isAuto ? auto(w, kd) : uniform(w, kd);
          List<PrecisionRow> rs = select(dataset, model, kind);
          if (rs.isEmpty()) {
            continue;
          }
          List<Double> drops = paired(dataset, model, kind, PrecisionRow::isFloat);
          List<Double> gain = isAuto ? paired(dataset, model, kind, uniform(w, kd)) : List.of();
          List<Double> kdGain =
              kd
                  ? paired(dataset, model, kind, isAuto ? auto(w, false) : uniform(w, false))
                  : List.of();
          t.row(
              (isAuto ? "auto ≤ W" + w + " size" : "uniform W" + w) + (kd ? " + KD" : ""),
              range(Stats.of(rs.stream().map(PrecisionRow::sizeKiB).toList()), 1),
              accuracy(dataset, model, kind),
              drops.isEmpty() ? "—" : range(Stats.of(drops)),
              gain.isEmpty() ? "—" : range(Stats.of(gain)),
              kdGain.isEmpty() ? "—" : range(Stats.of(kdGain)),
              isAuto || kd ? "—" : peerAccuracy(dataset, model, w, rs.get(0).activationBits()),
              bits(rs));
        }
      }
    }
    out.append(t.render()).append('\n');
    return out.toString();
  }

  private static Predicate<PrecisionRow> uniform(int w, boolean kd) {
    return r ->
        r.method().equals(PrecisionRow.UNIFORM) && r.weightBits() == w && r.distillation() == kd;
  }

  private static Predicate<PrecisionRow> auto(int w, boolean kd) {
    return r ->
        r.method().equals(PrecisionRow.AUTO) && r.weightBits() == w && r.distillation() == kd;
  }

  private List<PrecisionRow> select(String dataset, String model, Predicate<PrecisionRow> p) {
    return rows.stream()
        .filter(r -> r.dataset().equals(dataset) && r.model().equals(model) && p.test(r))
        .toList();
  }

  /** Per seed where both exist: 100 × (accuracy of {@code a} − accuracy of {@code b}). */
  private List<Double> paired(
      String dataset, String model, Predicate<PrecisionRow> a, Predicate<PrecisionRow> b) {
    Map<Long, Double> bySeed = new TreeMap<>();
    select(dataset, model, b).forEach(r -> bySeed.put(r.seed(), r.accuracy()));
    List<Double> out = new ArrayList<>();
    for (PrecisionRow r : select(dataset, model, a)) {
      Double other = bySeed.get(r.seed());
      if (other != null) {
        out.add(100 * (r.accuracy() - other));
      }
    }
    return out;
  }

  private String accuracy(String dataset, String model, Predicate<PrecisionRow> p) {
    List<PrecisionRow> rs = select(dataset, model, p);
    return rs.isEmpty() ? "—" : range(Stats.of(rs.stream().map(r -> 100 * r.accuracy()).toList()));
  }

  private String peerAccuracy(String dataset, String model, int w, int a) {
    List<Double> acc =
        peer.stream()
            .filter(
                r ->
                    r.dataset().equals(dataset)
                        && r.model().equals(model)
                        && !r.isFloat()
                        && r.weightBits() == w
                        && r.activationBits() == a)
            .map(r -> 100 * r.accuracy())
            .toList();
    return acc.isEmpty() ? "—" : range(Stats.of(acc)) + " (" + acc.size() + " seeds)";
  }

  /** Each distinct assignment with the number of seeds that chose it: "8,3,2,8 (2)". */
  private static String bits(List<PrecisionRow> rs) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (PrecisionRow r : rs) {
      String key =
          Optional.ofNullable(r.layerBits())
              .map(b -> String.join(",", b.stream().map(String::valueOf).toList()))
              .orElse("—");
      counts.merge(key, 1, Integer::sum);
    }
    List<String> parts = new ArrayList<>();
    counts.forEach((k, n) -> parts.add(k + " (" + n + ")"));
    return String.join("; ", parts);
  }

  private static String range(Stats s) {
    return range(s, 2);
  }

  private static String range(Stats s, int decimals) {
    String f = "%." + decimals + "f";
    return String.format(Locale.ROOT, f + " [" + f + ", " + f + "]", s.median(), s.min(), s.max());
  }
}
