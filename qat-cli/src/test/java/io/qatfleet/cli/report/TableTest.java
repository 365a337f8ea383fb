package io.qatfleet.cli.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** One table, three renderings of the same cells. */
class TableTest {
  private final Table table =
      new Table(
          List.of("class", "F1"),
          List.of(List.of("0 T-shirt/top", "0.5000"), List.of("a|<b>", "1")));

  @Test
  void rendersMarkdownWithPipesEscaped() {
    assertThat(table.markdown())
        .isEqualTo("| class | F1 |\n|---|---|\n| 0 T-shirt/top | 0.5000 |\n| a\\|<b> | 1 |\n");
  }

  @Test
  void rendersHtmlWithCellsEscaped() {
    assertThat(table.html())
        .isEqualTo(
            "<table><tr><th>class</th><th>F1</th></tr>\n"
                + "<tr><td>0 T-shirt/top</td><td>0.5000</td></tr>\n"
                + "<tr><td>a|&lt;b&gt;</td><td>1</td></tr>\n</table>\n");
  }

  @Test
  void alignsTextColumns() {
    String nl = System.lineSeparator();
    // first column 13 wide (left), the second 6 (right), two spaces between
    assertThat(table.text())
        .isEqualTo(
            "class"
                + " ".repeat(8 + 2 + 4)
                + "F1"
                + nl
                + "0 T-shirt/top"
                + "  "
                + "0.5000"
                + nl
                + "a|<b>"
                + " ".repeat(8 + 2 + 5)
                + "1"
                + nl);
  }

  @Test
  void rejectsARowOfTheWrongWidth() {
    assertThatThrownBy(() -> new Table(List.of("a", "b"), List.of(List.of("1"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 cells");
  }
}
