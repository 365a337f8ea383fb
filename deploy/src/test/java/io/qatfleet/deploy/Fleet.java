package io.qatfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What deploy/ puts into the namespace: an overlay's manifests, and the examples applied beside it
 * ({@code kubectl -n qat-fleet apply -f examples/...}). Each call builds afresh, so callers may
 * change what they get.
 */
final class Fleet {

  private Fleet() {}

  /** The manifests of overlays/{@code name}. */
  static List<ObjectNode> overlay(String name) {
    return MiniKustomize.build(Yaml.DEPLOY.resolve("overlays/" + name));
  }

  /** Every manifest under examples/. */
  static List<ObjectNode> examples() {
    List<ObjectNode> docs = new ArrayList<>();
    Yaml.yamlFiles(Yaml.DEPLOY.resolve("examples")).forEach(f -> docs.addAll(Yaml.documents(f)));
    return docs;
  }

  /** {@code docs} plus the examples. */
  static List<ObjectNode> withExamples(List<ObjectNode> docs) {
    List<ObjectNode> all = new ArrayList<>(docs);
    all.addAll(examples());
    return all;
  }

  static List<ObjectNode> ofKind(List<ObjectNode> docs, String kind) {
    return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
  }

  static JsonNode find(List<ObjectNode> docs, String kind, String name) {
    return docs.stream()
        .filter(d -> Yaml.id(d).equals(kind + "/" + name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("missing " + kind + "/" + name));
  }
}
