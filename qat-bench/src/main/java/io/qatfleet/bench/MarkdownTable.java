package io.qatfleet.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A Markdown (GitHub) table built row by row; a {@code |} inside a cell is escaped. */
public final class MarkdownTable {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  public MarkdownTable(String... header) {
    if (header.length == 0) {
      throw new IllegalArgumentException("a table needs at least one column");
    }
    this.header = List.of(header);
  }

  /**
   * Adds a row.
   *
   * @throws IllegalArgumentException if it has not one cell per column
   */
  public MarkdownTable row(String... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException(
          "row has " + cells.length + " cells, the table " + header.size() + " columns");
    }
    rows.add(Arrays.asList(cells));
    return this;
  }

  /** The table, one line per row, each line ending with a newline. */
  public String render() {
    StringBuilder out = new StringBuilder();
    line(out, header);
    out.append('|').append("---|".repeat(header.size())).append('\n');
    rows.forEach(r -> line(out, r));
    return out.toString();
  }

  private static void line(StringBuilder out, List<String> cells) {
    out.append('|');
    for (String cell : cells) {
      out.append(' ').append(escape(cell)).append(" |");
    }
    out.append('\n');
  }

  private static String escape(String cell) {
    return cell == null ? "" : cell.replace("|", "\\|").replaceAll("\\R", " ");
  }
}
