package io.qatfleet.cli.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A table of text cells built once and rendered for each reader: Markdown ({@code report.md}), HTML
 * ({@code report.html}) and aligned plain text (the terminal). The first column is a row's name
 * (left-aligned), the others are numbers (right-aligned in text).
 */
public record Table(List<String> header, List<List<String>> rows) {

  /**
   * @throws IllegalArgumentException when a row's width differs from the header's
   */
  public Table {
    header = List.copyOf(header);
    rows = rows.stream().map(List::copyOf).toList();
    for (List<String> row : rows) {
      if (row.size() != header.size()) {
        throw new IllegalArgumentException(
            "row " + row + " has " + row.size() + " cells, the header " + header.size());
      }
    }
  }

  /** A GitHub-flavoured Markdown table ({@code |} in cells escaped, line breaks made spaces). */
  public String markdown() {
    StringBuilder s = new StringBuilder();
    markdownRow(s, header);
    s.append("|").append("---|".repeat(header.size())).append('\n');
    rows.forEach(r -> markdownRow(s, r));
    return s.toString();
  }

  /** An HTML {@code <table>}, every cell escaped. */
  public String html() {
    StringBuilder s = new StringBuilder("<table><tr>");
    header.forEach(h -> s.append("<th>").append(escapeHtml(h)).append("</th>"));
    s.append("</tr>\n");
    for (List<String> row : rows) {
      s.append("<tr>");
      row.forEach(c -> s.append("<td>").append(escapeHtml(c)).append("</td>"));
      s.append("</tr>\n");
    }
    return s.append("</table>\n").toString();
  }

  /** Columns padded to their widest cell, two spaces apart, for a terminal. */
  public String text() {
    int[] widths = new int[header.size()];
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    for (List<String> row : all) {
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    StringBuilder s = new StringBuilder();
    for (List<String> row : all) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.size(); i++) {
        String format = i == 0 ? "%-" + widths[i] + "s" : "  %" + widths[i] + "s";
        line.append(String.format(Locale.ROOT, format, row.get(i)));
      }
      s.append(line.toString().stripTrailing()).append(System.lineSeparator());
    }
    return s.toString();
  }

  private static void markdownRow(StringBuilder s, List<String> cells) {
    s.append('|');
    cells.forEach(
        c -> s.append(' ').append(c.replace("|", "\\|").replaceAll("\\R", " ")).append(" |"));
    s.append('\n');
  }

  /** Text safe inside HTML elements and attribute values. */
  public static String escapeHtml(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
