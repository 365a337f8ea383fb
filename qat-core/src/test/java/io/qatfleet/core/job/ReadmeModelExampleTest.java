package io.qatfleet.core.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.model.LayerGraph;
import io.qatfleet.core.model.LayerShape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's layer-graph example is a valid job, and the errors it quotes are the real ones. */
class ReadmeModelExampleTest {
  private static final Path README = Path.of("..", "README.md");

  @Test
  void residualExampleIsAValidModel() throws IOException {
    JobSpec job = JobSpec.fromJson("{" + example() + "}");

    assertThat(job.violations()).isEmpty();
    LayerGraph graph = job.model().graph();
    assertThat(graph.layers())
        .extracting(LayerShape::conv)
        .containsExactly(true, true, true, true, false);
    assertThat(graph.layers().get(3).stride()).isEqualTo(2);
    assertThat(graph.layers().get(3).kernel()).isEqualTo(1);
    assertThat(graph.nodes().get(10).outShape()).hasToString("[14, 14, 32]");
    assertThat(graph.output().outShape()).hasToString("[10]");
  }

  @Test
  void quotedErrorsAreTheOnesTheCheckGives() throws IOException {
    String readme = Files.readString(README).replaceAll("\\s*\\n\\s*", " ");
    String addingTheStem =
        "{" + example().replace("\"with\": \"shortcut\"", "\"with\": \"stem\"") + "}";
    String add = JobSpec.fromJson(addingTheStem).violations().get(0);
    String depthwise =
        JobSpec.fromJson(
                "{"
                    + example()
                        .replace(
                            "{\"type\": \"conv2d\", \"filters\": 32, \"kernel\": 3, \"stride\": 2,"
                                + " \"padding\": 1}",
                            "{\"type\": \"conv2d\", \"filters\": 32, \"groups\": 16}")
                    + "}")
            .violations()
            .get(0);

    assertThat(add)
        .isEqualTo(
            "model.layers[10] (add10): add joins values of different shapes: [14, 14, 32] (main)"
                + " and [28, 28, 16] (stem)");
    assertThat(readme).contains("`" + add + "`");
    assertThat(depthwise)
        .isEqualTo(
            "model.layers[3] (conv2d3).filters: a depthwise conv2d (groups = input channels) has"
                + " as many filters as input channels (16), got 32");
    assertThat(readme).contains("`" + depthwise + "`");
  }

  /** The {@code "model": {...}} block after "This is a residual block" in the README. */
  private static String example() throws IOException {
    String readme = Files.readString(README);
    Matcher m =
        Pattern.compile("This is a residual block.*?```json\\n(.*?)```", Pattern.DOTALL)
            .matcher(readme);
    assertThat(m.find()).as("README has the residual example").isTrue();
    return m.group(1);
  }
}
