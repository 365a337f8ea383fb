package io.qatfleet.core.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST: a big-endian magic number whose third byte is
 * the element type ({@code 0x08}, unsigned byte) and fourth the number of dimensions, the
 * dimensions as big-endian ints, then the elements. Image files are {@code 0x00000803} (count,
 * rows, cols), label files {@code 0x00000801} (count). Files may be gzipped, which is recognised by
 * the gzip magic bytes rather than the file name. Produces a {@link Dataset}, checking every
 * declared size against the bytes actually present.
 */
public final class IdxReader {

  /** Magic number of an unsigned-byte, three-dimensional IDX file (images). */
  public static final int IMAGES_MAGIC = 0x00000803;

  /** Magic number of an unsigned-byte, one-dimensional IDX file (labels). */
  public static final int LABELS_MAGIC = 0x00000801;

  private static final int GZIP_MAGIC_0 = 0x1f;
  private static final int GZIP_MAGIC_1 = 0x8b;
  private static final int BUFFER_BYTES = 1 << 16;

  private IdxReader() {}

  /**
   * Reads an image file and its label file into a dataset called {@code name}.
   *
   * @throws IdxFormatException for a bad magic number, truncated or over-long data, a count
   *     mismatch between the files, or a label outside {@code 0..numClasses-1}
   * @throws IOException if a file cannot be read
   */
  public static Dataset read(String name, Path images, Path labels, int numClasses)
      throws IOException {
    return read(name, images, labels, numClasses, DataLimits.DEFAULTS);
  }

  /**
   * As {@link #read(String, Path, Path, int)}, refusing a header that declares more than {@code
   * limits.maxDatasetBytes()} before reading the body.
   */
  public static Dataset read(
      String name, Path images, Path labels, int numClasses, DataLimits limits) throws IOException {
    int rows;
    int cols;
    byte[] pixels;
    try (DataInputStream in = open(images)) {
      expectMagic(in, images, IMAGES_MAGIC, "unsigned-byte 3-D images");
      int count = dimension(in, images, "image count");
      rows = dimension(in, images, "rows");
      cols = dimension(in, images, "cols");
      long bytes = (long) count * rows * cols;
      limits.checkDatasetBytes(
          images + ": header declares " + count + " images of " + rows + "x" + cols, bytes);
      if (bytes > Integer.MAX_VALUE - 8) {
        throw new IdxFormatException(
            images + ": " + count + " images of " + rows + "x" + cols + " are too many to load");
      }
      pixels = body(in, images, (int) bytes, count + " images of " + rows + "x" + cols + " pixels");
    }
    byte[] labelBytes;
    try (DataInputStream in = open(labels)) {
      expectMagic(in, labels, LABELS_MAGIC, "unsigned-byte 1-D labels");
      int count = dimension(in, labels, "label count");
      limits.checkDatasetBytes(labels + ": header declares " + count + " labels", count);
      labelBytes = body(in, labels, count, count + " labels");
    }
    long imageCount = rows == 0 || cols == 0 ? 0 : pixels.length / ((long) rows * cols);
    if (imageCount != labelBytes.length) {
      throw new IdxFormatException(
          "count mismatch: "
              + images
              + " holds "
              + imageCount
              + " images but "
              + labels
              + " holds "
              + labelBytes.length
              + " labels");
    }
    try {
      return new Dataset(name, rows, cols, numClasses, pixels, labelBytes);
    } catch (IllegalArgumentException e) {
      throw new IdxFormatException(images + " / " + labels + ": " + e.getMessage(), e);
    }
  }

  private static DataInputStream open(Path file) throws IOException {
    BufferedInputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER_BYTES);
    try {
      raw.mark(2);
      int b0 = raw.read();
      int b1 = raw.read();
      raw.reset();
      InputStream in =
          b0 == GZIP_MAGIC_0 && b1 == GZIP_MAGIC_1
              ? new BufferedInputStream(new GZIPInputStream(raw, BUFFER_BYTES), BUFFER_BYTES)
              : raw;
      return new DataInputStream(in);
    } catch (IOException | RuntimeException e) {
      raw.close();
      throw e;
    }
  }

  private static void expectMagic(DataInputStream in, Path file, int expected, String what)
      throws IOException {
    int magic = headerInt(in, file, "magic number");
    if (magic != expected) {
      throw new IdxFormatException(
          String.format(
              "%s: bad IDX magic 0x%08X, expected 0x%08X (%s)", file, magic, expected, what));
    }
  }

  private static int dimension(DataInputStream in, Path file, String what) throws IOException {
    int value = headerInt(in, file, what);
    if (value < 0) {
      throw new IdxFormatException(file + ": " + what + " " + value + " is negative");
    }
    return value;
  }

  private static int headerInt(DataInputStream in, Path file, String what) throws IOException {
    try {
      return in.readInt();
    } catch (EOFException e) {
      throw new IdxFormatException(file + ": truncated: file ends inside the header " + what, e);
    }
  }

  private static byte[] body(DataInputStream in, Path file, int length, String declared)
      throws IOException {
    try {
      byte[] data = in.readNBytes(length);
      if (data.length < length) {
        throw new IdxFormatException(
            file
                + ": truncated: header declares "
                + declared
                + " ("
                + length
                + " bytes) but only "
                + data.length
                + " follow");
      }
      if (in.read() != -1) {
        throw new IdxFormatException(
            file + ": has data after the " + declared + " (" + length + " bytes) it declares");
      }
      return data;
    } catch (EOFException e) {
      throw new IdxFormatException(
          file + ": truncated: compressed stream ends before the " + declared + " it declares", e);
    }
  }
}
