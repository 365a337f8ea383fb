package io.qatfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Reading the deploy/ tree: multi-document YAML files as Jackson trees. */
final class Yaml {

  static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory());

  /** deploy/ itself: the module's base directory (Maven runs tests there). */
  static final Path DEPLOY = Path.of("").toAbsolutePath();

  /** The repository root, parent of deploy/. */
  static final Path REPO = DEPLOY.getParent();

  private Yaml() {}

  /** Every object document of {@code file}, skipping documents that hold only comments. */
  static List<ObjectNode> documents(Path file) {
    try {
      List<ObjectNode> docs = new ArrayList<>();
      MappingIterator<JsonNode> it =
          MAPPER.readerFor(JsonNode.class).readValues(Files.readString(file));
      while (it.hasNext()) {
        JsonNode node = it.next();
        if (node == null || node.isNull() || node.isMissingNode()) {
          continue;
        }
        if (!(node instanceof ObjectNode object)) {
          throw new IllegalArgumentException(file + ": a document is not a mapping: " + node);
        }
        docs.add(object);
      }
      return docs;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot parse " + file, e);
    }
  }

  /** Every *.yaml file under {@code dir}, sorted. */
  static List<Path> yamlFiles(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** "Kind/name" of a manifest. */
  static String id(JsonNode doc) {
    return doc.path("kind").asText() + "/" + doc.path("metadata").path("name").asText();
  }
}
