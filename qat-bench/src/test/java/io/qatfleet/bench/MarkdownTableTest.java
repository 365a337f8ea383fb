package io.qatfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MarkdownTableTest {
  @Test
  void rendersHeaderSeparatorAndRows() {
    String table = new MarkdownTable("size", "MB/s").row("1 MB", "120").row("10 MB", "95").render();

    assertThat(table)
        .isEqualTo(
            """
            | size | MB/s |
            |---|---|
            | 1 MB | 120 |
            | 10 MB | 95 |
            """);
  }

  @Test
  void escapesPipesAndLineBreaksInCells() {
    String table = new MarkdownTable("a").row("x | y\nz").render();

    assertThat(table).endsWith("| x \\| y z |\n");
  }

  @Test
  void rejectsARowWithTheWrongNumberOfCells() {
    MarkdownTable table = new MarkdownTable("a", "b");

    assertThatThrownBy(() -> table.row("only one"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 cells")
        .hasMessageContaining("2 columns");
  }
}
