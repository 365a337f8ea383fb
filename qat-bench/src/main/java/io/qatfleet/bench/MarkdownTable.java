package io.qatfleet.bench;

import io.qatfleet.cli.report.Table;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A Markdown (GitHub) table built row by row, rendered by the reports' {@link Table} (a {@code |}
 * inside a cell escaped, a line break made a space); a null cell is empty.
 */
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
    rows.add(Arrays.stream(cells).map(c -> c == null ? "" : c).toList());
    return this;
  }

  /** The table, one line per row, each line ending with a newline. */
  public String render() {
    return new Table(header, rows).markdown();
  }
}
