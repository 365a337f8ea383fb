package io.qatfleet.core.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * An in-memory image classification set: {@code size()} images of {@code rows × cols × channels}
 * unsigned bytes (grayscale when {@code channels} is 1, RGB when 3), stored image after image, each
 * image row-major with its channels interleaved (HWC, the order TensorFlow's NHWC input takes), and
 * one unsigned-byte class label per image. A table of numeric features is a {@code 1 × features}
 * image. Produced by {@link IdxReader} and {@link DatasetLoader}; consumed by the training loop
 * through {@link #fillBatch}, which writes scaled pixels and one-hot labels into caller-owned
 * buffers so a training step allocates nothing. Arrays are copied in and out, so a dataset can be
 * cached and shared between jobs.
 *
 * @param pixels {@code size() * rows * cols * channels} unsigned bytes, HWC per image
 * @param labels one unsigned byte per image, each below {@code numClasses}
 */
public record Dataset(
    String name, int rows, int cols, int channels, int numClasses, byte[] pixels, byte[] labels) {

  private static final float[] SCALED = new float[256];

  static {
    for (int v = 0; v < SCALED.length; v++) {
      SCALED[v] = v / 255f;
    }
  }

  public Dataset {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(
          "name must not be blank but was " + (name == null ? "null" : "'" + name + "'"));
    }
    if (rows <= 0) {
      throw new IllegalArgumentException("rows must be positive but was " + rows);
    }
    if (cols <= 0) {
      throw new IllegalArgumentException("cols must be positive but was " + cols);
    }
    if (channels <= 0) {
      throw new IllegalArgumentException("channels must be positive but was " + channels);
    }
    if (numClasses < 1 || numClasses > 256) {
      throw new IllegalArgumentException(
          "numClasses must be in 1..256 (labels are unsigned bytes) but was " + numClasses);
    }
    Objects.requireNonNull(pixels, "pixels must not be null");
    Objects.requireNonNull(labels, "labels must not be null");
    long expected = (long) labels.length * rows * cols * channels;
    if (pixels.length != expected) {
      throw new IllegalArgumentException(
          "pixels has "
              + pixels.length
              + " bytes but "
              + labels.length
              + " labels of "
              + rows
              + "x"
              + cols
              + (channels == 1 ? "" : "x" + channels)
              + " images need "
              + expected);
    }
    for (int i = 0; i < labels.length; i++) {
      int label = labels[i] & 0xFF;
      if (label >= numClasses) {
        throw new IllegalArgumentException(
            "labels[" + i + "] = " + label + " is outside 0.." + (numClasses - 1));
      }
    }
    pixels = pixels.clone();
    labels = labels.clone();
  }

  /** A grayscale dataset. */
  public Dataset(String name, int rows, int cols, int numClasses, byte[] pixels, byte[] labels) {
    this(name, rows, cols, 1, numClasses, pixels, labels);
  }

  /** Number of images. */
  public int size() {
    return labels.length;
  }

  /** Bytes per image, {@code rows * cols * channels}. */
  public int pixelsPerImage() {
    return rows * cols * channels;
  }

  /**
   * The images {@code from..from+count} with their channels as planes (NCHW, the input order of
   * ONNX convolutions): channel 0 of the first image, then its channel 1, ..., then the next image.
   */
  public byte[] planarPixels(int from, int count) {
    Objects.checkFromIndexSize(from, count, labels.length);
    int plane = rows * cols;
    int ppi = pixelsPerImage();
    byte[] out = new byte[Math.multiplyExact(count, ppi)];
    for (int k = 0; k < count; k++) {
      int src = (from + k) * ppi;
      int dst = k * ppi;
      for (int p = 0; p < plane; p++) {
        for (int c = 0; c < channels; c++) {
          out[dst + c * plane + p] = pixels[src + p * channels + c];
        }
      }
    }
    return out;
  }

  /** Class of image {@code i}, in {@code 0..numClasses-1}. */
  public int label(int i) {
    return labels[Objects.checkIndex(i, labels.length)] & 0xFF;
  }

  /** All labels as ints. */
  public int[] labelsAsInts() {
    int[] out = new int[labels.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = labels[i] & 0xFF;
    }
    return out;
  }

  /** The pixels (a copy). */
  @Override
  public byte[] pixels() {
    return pixels.clone();
  }

  /** The labels (a copy). */
  @Override
  public byte[] labels() {
    return labels.clone();
  }

  /** The images at {@code indices}, in that order, under the same name. */
  public Dataset subset(int[] indices) {
    return subset(name, indices);
  }

  /** The images at {@code indices}, in that order, as a dataset called {@code subsetName}. */
  public Dataset subset(String subsetName, int[] indices) {
    int ppi = pixelsPerImage();
    byte[] px = new byte[Math.multiplyExact(indices.length, ppi)];
    byte[] lb = new byte[indices.length];
    for (int k = 0; k < indices.length; k++) {
      int i = checkSample(indices, k);
      System.arraycopy(pixels, i * ppi, px, k * ppi, ppi);
      lb[k] = labels[i];
    }
    return new Dataset(subsetName, rows, cols, channels, numClasses, px, lb);
  }

  /**
   * Writes the images {@code indices[from..to)} into the start of {@code pixelOut}, each pixel
   * scaled to {@code [0, 1]} by {@code /255f}, and their labels one-hot into the start of {@code
   * oneHotOut} ({@code numClasses} floats per image). Entries beyond {@code to - from} images are
   * left untouched, so buffers sized for a full batch can be reused for the last, shorter one.
   */
  public void fillBatch(int[] indices, int from, int to, float[] pixelOut, float[] oneHotOut) {
    Objects.checkFromToIndex(from, to, indices.length);
    int count = to - from;
    int ppi = pixelsPerImage();
    if (pixelOut.length < (long) count * ppi) {
      throw new IllegalArgumentException(
          "pixelOut holds "
              + pixelOut.length
              + " floats but "
              + count
              + " images of "
              + ppi
              + " pixels need "
              + (long) count * ppi);
    }
    if (oneHotOut.length < (long) count * numClasses) {
      throw new IllegalArgumentException(
          "oneHotOut holds "
              + oneHotOut.length
              + " floats but "
              + count
              + " labels of "
              + numClasses
              + " classes need "
              + (long) count * numClasses);
    }
    for (int k = 0; k < count; k++) {
      int i = checkSample(indices, from + k);
      int src = i * ppi;
      int dst = k * ppi;
      for (int p = 0; p < ppi; p++) {
        pixelOut[dst + p] = SCALED[pixels[src + p] & 0xFF];
      }
      int hot = k * numClasses;
      Arrays.fill(oneHotOut, hot, hot + numClasses, 0f);
      oneHotOut[hot + (labels[i] & 0xFF)] = 1f;
    }
  }

  /** The NCHW shape of {@code count} images as {@link #planarPixels} lays them out. */
  public long[] planarShape(int count) {
    return new long[] {count, channels, rows, cols};
  }

  private int checkSample(int[] indices, int k) {
    int i = indices[k];
    if (i < 0 || i >= labels.length) {
      throw new IndexOutOfBoundsException(
          "indices[" + k + "] = " + i + " is outside 0.." + (labels.length - 1) + " of " + name);
    }
    return i;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Dataset d
        && name.equals(d.name)
        && rows == d.rows
        && cols == d.cols
        && channels == d.channels
        && numClasses == d.numClasses
        && Arrays.equals(labels, d.labels)
        && Arrays.equals(pixels, d.pixels);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, rows, cols, channels, numClasses, Arrays.hashCode(labels));
  }

  @Override
  public String toString() {
    return "Dataset["
        + name
        + ": "
        + size()
        + " images of "
        + rows
        + "x"
        + cols
        + (channels == 1 ? "" : "x" + channels)
        + ", "
        + numClasses
        + " classes]";
  }
}
