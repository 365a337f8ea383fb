package io.qatfleet.core.onnx;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One protobuf message being written field by field with protobuf-java's {@link CodedOutputStream},
 * in the order the fields are added. The ONNX schema ({@code onnx.proto3}) is small and stable, so
 * {@link OnnxGraph} encodes its few messages by field number rather than through classes generated
 * at build time; the field numbers are named where they are used.
 */
final class ProtoMessage {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final CodedOutputStream out = CodedOutputStream.newInstance(bytes);

  ProtoMessage int64(int field, long value) {
    return write(() -> out.writeInt64(field, value));
  }

  ProtoMessage int32(int field, int value) {
    return write(() -> out.writeInt32(field, value));
  }

  ProtoMessage float32(int field, float value) {
    return write(() -> out.writeFloat(field, value));
  }

  ProtoMessage string(int field, String value) {
    return write(() -> out.writeString(field, value));
  }

  ProtoMessage bytes(int field, byte[] value) {
    return write(() -> out.writeByteArray(field, value));
  }

  ProtoMessage message(int field, ProtoMessage value) {
    return bytes(field, value.toByteArray());
  }

  /** A repeated int64 written unpacked (one tag per value), which every proto parser accepts. */
  ProtoMessage int64s(int field, long[] values) {
    for (long v : values) {
      int64(field, v);
    }
    return this;
  }

  byte[] toByteArray() {
    write(out::flush);
    return bytes.toByteArray();
  }

  private interface Write {
    void run() throws IOException;
  }

  private ProtoMessage write(Write w) {
    try {
      w.run();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to a byte array failed", e);
    }
    return this;
  }
}
