package io.qatfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The subset of {@code kustomize build} that deploy/ uses, so that the overlays can be built on a
 * machine without a kustomize binary (no registry this project may use ships a current one: Debian
 * 12's kubectl 1.20 embeds kustomize 2.0.3, which predates {@code patches}). Supported: {@code
 * resources} (files and directories), {@code namespace}, {@code patches} given by {@code path}
 * (strategic merge for built-in kinds, with the merge keys deploy/ needs; JSON merge patch for
 * custom resources, as kustomize does), {@code configMapGenerator} with {@code files} and {@code
 * disableNameSuffixHash}, and {@code images}. Any other field is an error rather than silently
 * ignored. {@code KustomizeTest} compares the result with {@code kubectl kustomize} where one is
 * installed.
 */
final class MiniKustomize {

  private static final Set<String> FIELDS =
      Set.of(
          "apiVersion",
          "kind",
          "namespace",
          "resources",
          "patches",
          "configMapGenerator",
          "images");

  /** List fields merged element by element in strategic merge patches, and their merge keys. */
  private static final Map<String, String> MERGE_KEYS =
      Map.of(
          "containers", "name",
          "initContainers", "name",
          "volumes", "name",
          "env", "name",
          "volumeMounts", "mountPath",
          "ports", "containerPort");

  private static final Set<String> BUILT_IN_GROUPS =
      Set.of("", "apps", "batch", "networking.k8s.io", "policy", "autoscaling");

  private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace");

  private MiniKustomize() {}

  /** The manifests {@code kustomize build dir} would print, in resource order. */
  static List<ObjectNode> build(Path dir) {
    Path file = dir.resolve("kustomization.yaml");
    ObjectNode k = Yaml.documents(file).get(0);
    k.fieldNames()
        .forEachRemaining(
            f -> {
              if (!FIELDS.contains(f)) {
                throw new IllegalArgumentException(file + ": field '" + f + "' not supported");
              }
            });
    List<ObjectNode> out = new ArrayList<>();
    for (JsonNode r : k.path("resources")) {
      Path p = dir.resolve(r.asText()).normalize();
      out.addAll(Files.isDirectory(p) ? build(p) : Yaml.documents(p));
    }
    for (JsonNode g : k.path("configMapGenerator")) {
      out.add(configMap(dir, g));
    }
    for (JsonNode patch : k.path("patches")) {
      if (patch.size() != 1 || !patch.has("path")) {
        throw new IllegalArgumentException(file + ": only patches with a path are supported");
      }
      for (ObjectNode p : Yaml.documents(dir.resolve(patch.get("path").asText()))) {
        // Like kustomize, by apiVersion, kind and name: a patch of another version matches nothing.
        ObjectNode target =
            out.stream()
                .filter(
                    o ->
                        Yaml.id(o).equals(Yaml.id(p))
                            && o.path("apiVersion").equals(p.path("apiVersion")))
                .findFirst()
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            file
                                + ": patch target missing "
                                + p.path("apiVersion").asText()
                                + " "
                                + Yaml.id(p)));
        merge(target, p, builtIn(target));
      }
    }
    for (JsonNode image : k.path("images")) {
      out.forEach(o -> setImages(o, image));
    }
    if (k.has("namespace")) {
      for (ObjectNode o : out) {
        if (!CLUSTER_SCOPED.contains(o.path("kind").asText())) {
          ((ObjectNode) o.get("metadata")).put("namespace", k.get("namespace").asText());
        }
      }
    }
    return out;
  }

  private static ObjectNode configMap(Path dir, JsonNode g) {
    if (!g.path("options").path("disableNameSuffixHash").asBoolean(false)) {
      throw new IllegalArgumentException("configMapGenerator without disableNameSuffixHash");
    }
    ObjectNode cm = JsonNodeFactory.instance.objectNode();
    cm.put("apiVersion", "v1");
    cm.put("kind", "ConfigMap");
    ObjectNode meta = cm.putObject("metadata");
    meta.put("name", g.get("name").asText());
    if (g.path("options").has("labels")) {
      meta.set("labels", g.get("options").get("labels").deepCopy());
    }
    ObjectNode data = cm.putObject("data");
    for (JsonNode f : g.path("files")) {
      Path p = dir.resolve(f.asText());
      try {
        data.put(p.getFileName().toString(), Files.readString(p));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return cm;
  }

  private static boolean builtIn(JsonNode doc) {
    String apiVersion = doc.path("apiVersion").asText();
    int slash = apiVersion.indexOf('/');
    return BUILT_IN_GROUPS.contains(slash < 0 ? "" : apiVersion.substring(0, slash));
  }

  /**
   * Strategic merge ({@code strategic}) or JSON merge patch of {@code patch} into {@code target}.
   */
  static void merge(ObjectNode target, JsonNode patch, boolean strategic) {
    Iterator<Map.Entry<String, JsonNode>> fields = patch.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> e = fields.next();
      String name = e.getKey();
      JsonNode value = e.getValue();
      JsonNode current = target.get(name);
      if (value.isNull()) {
        target.remove(name);
      } else if (value.isObject() && current != null && current.isObject()) {
        merge((ObjectNode) current, value, strategic);
      } else if (strategic
          && value.isArray()
          && current != null
          && current.isArray()
          && MERGE_KEYS.containsKey(name)) {
        mergeList((ArrayNode) current, (ArrayNode) value, MERGE_KEYS.get(name));
      } else {
        target.set(name, value.deepCopy());
      }
    }
  }

  private static void mergeList(ArrayNode current, ArrayNode patch, String key) {
    for (JsonNode item : patch) {
      ObjectNode match = null;
      for (JsonNode c : current) {
        if (c.path(key).equals(item.path(key))) {
          match = (ObjectNode) c;
        }
      }
      if (match == null) {
        current.add(item.deepCopy());
      } else {
        merge(match, item, true);
      }
    }
  }

  private static void setImages(JsonNode doc, JsonNode image) {
    for (String path :
        List.of(
            "/spec/template/spec/containers", "/spec/jobTemplate/spec/template/spec/containers")) {
      for (JsonNode c : doc.at(path)) {
        String ref = c.path("image").asText();
        int colon = ref.lastIndexOf(':');
        String name = colon < 0 ? ref : ref.substring(0, colon);
        if (name.equals(image.get("name").asText())) {
          String newName = image.path("newName").asText(name);
          String tag =
              image.has("newTag") ? image.get("newTag").asText() : ref.substring(colon + 1);
          ((ObjectNode) c).put("image", newName + ":" + tag);
        }
      }
    }
  }
}
