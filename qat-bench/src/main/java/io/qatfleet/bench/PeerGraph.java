package io.qatfleet.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qatfleet.core.json.Json;
import io.qatfleet.core.model.LayerGraph;
import io.qatfleet.core.model.LayerGraph.Node;
import io.qatfleet.core.model.LayerGraph.TensorShape;
import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.LayerSpec.Kind;
import io.qatfleet.core.model.ModelSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model's expanded layer graph as the PyTorch peer ({@code bench/pytorch/qat_peer.py --graph})
 * builds it, so that the peer trains exactly the graph we train instead of a copy of each preset.
 * Consumes {@link ModelSpec#graph()}; produces one JSON object: the image shape, the class count
 * and the nodes in order, each with its kind (the job spec's type names), the positions it reads
 * ({@code -1} = the image), its input and output shapes and its parameters (conv2d: channels,
 * kernel, stride, symmetric padding, groups, weight-layer index, whether batch norm follows; dense:
 * features and units; pools: window and stride).
 */
final class PeerGraph {
  /** Bumped when a field changes meaning; the peer refuses other versions. */
  static final int VERSION = 1;

  private PeerGraph() {}

  static ObjectNode json(String name, ModelSpec spec) {
    LayerGraph graph = spec.graph();
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("version", VERSION);
    root.put("model", name);
    root.set("image", shape(graph.imageShape()));
    root.put("numClasses", spec.numClasses());
    root.put("weightLayers", graph.layers().size());
    ArrayNode nodes = root.putArray("nodes");
    for (Node n : graph.nodes()) {
      ObjectNode o = nodes.addObject();
      o.put("position", n.position());
      o.put("name", n.name());
      o.put("kind", n.kind().json());
      o.put("input", n.input());
      if (n.kind() == Kind.ADD) {
        o.put("other", n.other());
      }
      o.set("inShape", shape(n.inShape()));
      o.set("outShape", shape(n.outShape()));
      LayerShape l = n.layer();
      if (l != null) {
        o.put("layer", l.index());
        o.put("inChannels", l.inChannels());
        o.put("outChannels", l.outChannels());
        o.put("batchNorm", l.batchNorm());
        o.put("readsImage", l.readsImage());
        if (l.conv()) {
          o.put("kernel", l.kernel());
          o.put("stride", l.stride());
          o.put("padding", l.padding());
          o.put("groups", l.groups());
        }
      }
      if (n.size() > 0) {
        o.put("size", n.size());
        o.put("stride", n.stride());
      }
    }
    return root;
  }

  /** Writes the graph of {@code spec} to a file in {@code dir} named after the model. */
  static Path write(String name, ModelSpec spec, Path dir) {
    Path file = dir.resolve(name + ".graph.json");
    try {
      Files.createDirectories(dir);
      Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), json(name, spec));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the peer's graph " + file, e);
    }
    return file;
  }

  private static ObjectNode shape(TensorShape s) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("height", s.height());
    o.put("width", s.width());
    o.put("channels", s.channels());
    o.put("flat", s.flat());
    return o;
  }
}
