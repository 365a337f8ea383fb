package io.qatfleet.core.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX graph being assembled (nodes in topological order, initializers, one input and one
 * output) and its serialisation as an ONNX {@code ModelProto}. Field numbers are those of {@code
 * onnx.proto3}; tensors are written as little-endian {@code raw_data}, as the schema requires.
 */
final class OnnxGraph {
  /** {@code TensorProto.DataType} values used here. */
  static final int FLOAT = 1;

  static final int UINT8 = 2;
  static final int INT8 = 3;
  static final int INT32 = 6;
  static final int INT64 = 7;

  // AttributeProto.AttributeType
  private static final int ATTR_FLOAT = 1;
  private static final int ATTR_INT = 2;
  private static final int ATTR_INTS = 7;

  private final String name;
  private final List<ProtoMessage> nodes = new ArrayList<>();
  private final List<ProtoMessage> initializers = new ArrayList<>();
  private final List<ProtoMessage> inputs = new ArrayList<>();
  private final List<ProtoMessage> outputs = new ArrayList<>();
  private final Map<String, Constant> constants = new HashMap<>();
  private int nodeCount;

  OnnxGraph(String name) {
    this.name = name;
  }

  /** A node attribute: an int, a float or a list of ints. */
  record Attribute(String name, Object value) {
    static Attribute ints(String name, long... values) {
      return new Attribute(name, values);
    }

    static Attribute integer(String name, long value) {
      return new Attribute(name, value);
    }

    static Attribute real(String name, float value) {
      return new Attribute(name, value);
    }

    ProtoMessage encode() {
      ProtoMessage a = new ProtoMessage().string(1, name);
      if (value instanceof long[] ints) {
        a.int32(20, ATTR_INTS).int64s(8, ints);
      } else if (value instanceof Long i) {
        a.int32(20, ATTR_INT).int64(3, i);
      } else if (value instanceof Float f) {
        a.int32(20, ATTR_FLOAT).float32(2, f);
      } else {
        throw new IllegalArgumentException("attribute " + name + ": unsupported value " + value);
      }
      return a;
    }
  }

  /** Adds a node of the default ONNX domain; an empty input name is an omitted optional input. */
  void node(String opType, List<String> in, List<String> out, Attribute... attributes) {
    ProtoMessage n = new ProtoMessage();
    for (String i : in) {
      n.string(1, i);
    }
    for (String o : out) {
      n.string(2, o);
    }
    n.string(3, opType + "_" + nodeCount++).string(4, opType);
    for (Attribute a : attributes) {
      n.message(5, a.encode());
    }
    nodes.add(n);
  }

  private record Constant(int dataType, long[] dims, byte[] raw) {
    boolean same(int type, long[] d, byte[] r) {
      return type == dataType && Arrays.equals(d, dims) && Arrays.equals(r, raw);
    }
  }

  /**
   * Adds an initializer (a constant tensor) of {@code dataType} from its little-endian bytes; the
   * same constant added again under the same name is written once, a different one is an error.
   */
  String initializer(String tensorName, int dataType, long[] dims, byte[] raw) {
    Constant before = constants.putIfAbsent(tensorName, new Constant(dataType, dims, raw));
    if (before != null) {
      if (!before.same(dataType, dims, raw)) {
        throw new IllegalStateException("two different constants named " + tensorName);
      }
      return tensorName;
    }
    ProtoMessage t = new ProtoMessage().int64s(1, dims).int32(2, dataType).string(8, tensorName);
    t.bytes(9, raw);
    initializers.add(t);
    return tensorName;
  }

  String floats(String tensorName, long[] dims, float... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return initializer(tensorName, FLOAT, dims, b.array());
  }

  String ints(String tensorName, long[] dims, int... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asIntBuffer().put(values);
    return initializer(tensorName, INT32, dims, b.array());
  }

  String longs(String tensorName, long[] dims, long... values) {
    ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return initializer(tensorName, INT64, dims, b.array());
  }

  String int8(String tensorName, long[] dims, byte[] values) {
    return initializer(tensorName, INT8, dims, values.clone());
  }

  String uint8(String tensorName, long[] dims, byte[] values) {
    return initializer(tensorName, UINT8, dims, values.clone());
  }

  /** Declares a graph input; a negative dimension is the symbolic batch dimension {@code N}. */
  void input(String valueName, int elemType, long... dims) {
    inputs.add(valueInfo(valueName, elemType, dims));
  }

  void output(String valueName, int elemType, long... dims) {
    outputs.add(valueInfo(valueName, elemType, dims));
  }

  private static ProtoMessage valueInfo(String valueName, int elemType, long[] dims) {
    ProtoMessage shape = new ProtoMessage();
    for (long d : dims) {
      ProtoMessage dim = new ProtoMessage();
      if (d < 0) {
        dim.string(2, "N");
      } else {
        dim.int64(1, d);
      }
      shape.message(1, dim);
    }
    ProtoMessage tensorType = new ProtoMessage().int32(1, elemType).message(2, shape);
    ProtoMessage type = new ProtoMessage().message(1, tensorType);
    return new ProtoMessage().string(1, valueName).message(2, type);
  }

  /** The serialised {@code ModelProto}. */
  byte[] toModel(
      long irVersion,
      long opset,
      String producerVersion,
      String docString,
      Map<String, String> metadata) {
    ProtoMessage graph = new ProtoMessage();
    for (ProtoMessage n : nodes) {
      graph.message(1, n);
    }
    graph.string(2, name);
    for (ProtoMessage t : initializers) {
      graph.message(5, t);
    }
    for (ProtoMessage i : inputs) {
      graph.message(11, i);
    }
    for (ProtoMessage o : outputs) {
      graph.message(12, o);
    }
    ProtoMessage model =
        new ProtoMessage()
            .int64(1, irVersion)
            .string(2, OnnxExporter.PRODUCER)
            .string(3, producerVersion)
            .string(6, docString)
            .message(7, graph)
            .message(8, new ProtoMessage().string(1, "").int64(2, opset));
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      model.message(14, new ProtoMessage().string(1, e.getKey()).string(2, e.getValue()));
    }
    return model.toByteArray();
  }
}
