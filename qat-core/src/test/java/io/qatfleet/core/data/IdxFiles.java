package io.qatfleet.core.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes IDX files by hand for tests: big-endian ints, then raw bytes, optionally gzipped. */
final class IdxFiles {

  private IdxFiles() {}

  static byte[] images(int magic, int count, int rows, int cols, byte[] pixels) {
    return idx(magic, new int[] {count, rows, cols}, pixels);
  }

  static byte[] labels(int count, byte[] labels) {
    return idx(0x00000801, new int[] {count}, labels);
  }

  static byte[] idx(int magic, int[] dims, byte[] body) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(magic);
      for (int d : dims) {
        out.writeInt(d);
      }
      out.write(body);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return bytes.toByteArray();
  }

  static byte[] gzip(byte[] plain) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes)) {
      out.write(plain);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return bytes.toByteArray();
  }

  static Path write(Path file, byte[] content) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.write(file, content);
  }

  /**
   * Writes a complete dataset directory: {@code trainCount} and {@code testCount} images of 2x2
   * pixels, image {@code i} having first pixel {@code i} (so images identify themselves) and label
   * {@code i % 10}. Training files are gzipped, test files plain.
   */
  static void writeDataset(Path dir, int trainCount, int testCount) throws IOException {
    write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(numberedImages(trainCount)));
    write(dir.resolve("train-labels-idx1-ubyte.gz"), gzip(labels(trainCount, cyclic(trainCount))));
    write(dir.resolve("t10k-images-idx3-ubyte"), numberedImages(testCount));
    write(dir.resolve("t10k-labels-idx1-ubyte"), labels(testCount, cyclic(testCount)));
  }

  private static byte[] numberedImages(int count) {
    byte[] pixels = new byte[count * 4];
    for (int i = 0; i < count; i++) {
      pixels[i * 4] = (byte) i;
    }
    return images(0x00000803, count, 2, 2, pixels);
  }

  private static byte[] cyclic(int count) {
    byte[] labels = new byte[count];
    for (int i = 0; i < count; i++) {
      labels[i] = (byte) (i % 10);
    }
    return labels;
  }
}
