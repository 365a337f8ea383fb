package io.qatfleet.core.checkpoint;

import static io.qatfleet.core.checkpoint.CheckpointException.malformed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qatfleet.core.checkpoint.CheckpointException.Reason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensor entries of a checkpoint header (see {@link CheckpointCodec} for the layout): writes
 * each tensor's {@code dtype}, {@code shape} and {@code data_offsets}, tensors back to back in
 * order, and reads them back into {@link TensorData} cut from the byte buffer. Reading rejects with
 * a {@link CheckpointException} an entry that is malformed or whose offsets do not span its dtype
 * and shape, and a table whose tensors overlap, leave gaps, or do not cover exactly the buffer.
 */
final class TensorTable {
  private TensorTable() {}

  /**
   * Adds one entry per tensor of {@code tensors} to {@code header}, in order.
   *
   * @return the length of the byte buffer the entries describe
   */
  static long write(ObjectNode header, Map<String, TensorData> tensors) {
    long offset = 0;
    for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
      TensorData tensor = e.getValue();
      ObjectNode entry = header.putObject(e.getKey());
      entry.put("dtype", tensor.dtype().safetensorsName());
      ArrayNode shape = entry.putArray("shape");
      for (long dim : tensor.shape()) {
        shape.add(dim);
      }
      long end = offset + tensor.byteLength();
      entry.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    return offset;
  }

  private record Slot(String name, DType dtype, long[] shape, long begin, long end) {}

  /**
   * The tensors {@code header} describes, cut from the {@code bufferLength} bytes of {@code bytes}
   * that start at {@code bufferStart}, in header order.
   */
  static Map<String, TensorData> read(
      JsonNode header, byte[] bytes, int bufferStart, long bufferLength) {
    List<Slot> slots = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : header.properties()) {
      if (!e.getKey().equals(Checkpoint.METADATA_KEY)) {
        slots.add(slot(e.getKey(), e.getValue()));
      }
    }
    if (slots.isEmpty()) {
      throw malformed("header declares no tensors", null);
    }
    List<Slot> byOffset = new ArrayList<>(slots);
    byOffset.sort(Comparator.comparingLong(Slot::begin).thenComparingLong(Slot::end));
    long covered = 0;
    String previous = null;
    for (Slot s : byOffset) {
      if (s.begin < covered) {
        throw malformed(
            "tensor '"
                + s.name
                + "' data_offsets ["
                + s.begin
                + ", "
                + s.end
                + "] overlap tensor '"
                + previous
                + "', which ends at "
                + covered,
            null);
      }
      if (s.begin > covered) {
        throw malformed(
            "tensor '"
                + s.name
                + "' data_offsets ["
                + s.begin
                + ", "
                + s.end
                + "] leave buffer bytes ["
                + covered
                + ", "
                + s.begin
                + ") described by no tensor (buffer is "
                + bufferLength
                + " bytes)",
            null);
      }
      covered = s.end;
      previous = s.name;
    }
    if (covered > bufferLength) {
      throw new CheckpointException(
          Reason.TRUNCATED,
          "checkpoint truncated: tensors need "
              + covered
              + " buffer bytes but only "
              + bufferLength
              + " follow the header");
    }
    if (covered < bufferLength) {
      throw malformed(
          (bufferLength - covered)
              + " bytes after the last tensor (at buffer offset "
              + covered
              + ") are described by no tensor",
          null);
    }
    Map<String, TensorData> tensors = new LinkedHashMap<>();
    for (Slot s : slots) {
      byte[] data =
          Arrays.copyOfRange(bytes, bufferStart + (int) s.begin, bufferStart + (int) s.end);
      tensors.put(s.name, new TensorData(s.dtype, s.shape, data));
    }
    return tensors;
  }

  private static Slot slot(String name, JsonNode entry) {
    if (!entry.isObject()) {
      throw malformed("tensor '" + name + "' entry is not a JSON object", null);
    }
    JsonNode dtypeNode = entry.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw malformed("tensor '" + name + "' has no string dtype", null);
    }
    DType dtype;
    try {
      dtype = DType.fromSafetensorsName(dtypeNode.textValue());
    } catch (IllegalArgumentException e) {
      throw malformed("tensor '" + name + "' has " + e.getMessage(), e);
    }
    long[] shape = longs(name, "shape", entry.get("shape"));
    long[] offsets = longs(name, "data_offsets", entry.get("data_offsets"));
    if (offsets.length != 2 || offsets[0] > offsets[1]) {
      throw malformed(
          "tensor '"
              + name
              + "' data_offsets "
              + Arrays.toString(offsets)
              + " must be two offsets [begin, end] with begin <= end",
          null);
    }
    long expected;
    try {
      expected = TensorData.byteCount(dtype, shape);
    } catch (IllegalArgumentException e) {
      throw malformed("tensor '" + name + "': " + e.getMessage(), e);
    }
    if (offsets[1] - offsets[0] != expected) {
      throw malformed(
          "tensor '"
              + name
              + "' data_offsets "
              + Arrays.toString(offsets)
              + " span "
              + (offsets[1] - offsets[0])
              + " bytes but "
              + dtype
              + " "
              + Arrays.toString(shape)
              + " needs "
              + expected,
          null);
    }
    return new Slot(name, dtype, shape, offsets[0], offsets[1]);
  }

  private static long[] longs(String tensor, String field, JsonNode node) {
    if (node == null || !node.isArray()) {
      throw malformed("tensor '" + tensor + "' has no " + field + " array", null);
    }
    long[] values = new long[node.size()];
    for (int i = 0; i < values.length; i++) {
      JsonNode v = node.get(i);
      if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
        throw malformed(
            "tensor '"
                + tensor
                + "' "
                + field
                + "["
                + i
                + "] must be a non-negative integer but was "
                + v,
            null);
      }
      values[i] = v.longValue();
    }
    return values;
  }
}
