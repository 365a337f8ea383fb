package io.qatfleet.core.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * An in-memory image classification set: {@code size()} grayscale images of {@code rows × cols}
 * unsigned bytes, stored image after image, and one unsigned-byte class label per image. Produced
 * by {@link IdxReader} and {@link DatasetLoader}; consumed by the training loop through {@link
 * #fillBatch}, which writes scaled pixels and one-hot labels into caller-owned buffers so a
 * training step allocates nothing. Arrays are copied in and out, so a dataset can be cached and
 * shared between jobs.
 *
 * @param pixels {@code size() * rows * cols} unsigned bytes, row-major per image
 * @param labels one unsigned byte per image, each below {@code numClasses}
 */
public record Dataset(
    String name, int rows, int cols, int numClasses, byte[] pixels, byte[] labels) {

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
    if (numClasses < 1 || numClasses > 256) {
      throw new IllegalArgumentException(
          "numClasses must be in 1..256 (labels are unsigned bytes) but was " + numClasses);
    }
    Objects.requireNonNull(pixels, "pixels must not be null");
    Objects.requireNonNull(labels, "labels must not be null");
    long expected = (long) labels.length * rows * cols;
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

  /** Number of images. */
  public int size() {
    return labels.length;
  }

  /** Pixels per image, {@code rows * cols}. */
  public int pixelsPerImage() {
    return rows * cols;
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
    return new Dataset(subsetName, rows, cols, numClasses, px, lb);
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
        && numClasses == d.numClasses
        && Arrays.equals(labels, d.labels)
        && Arrays.equals(pixels, d.pixels);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, rows, cols, numClasses, Arrays.hashCode(labels));
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
        + ", "
        + numClasses
        + " classes]";
  }
}
