package io.qatfleet.core.data;

/** Placeholder until the data package lands (same API). */
public record Dataset(
    String name, int rows, int cols, int numClasses, byte[] pixels, byte[] labels) {
  public int size() {
    return labels.length;
  }

  public int label(int i) {
    return labels[i] & 0xff;
  }

  public int[] labelsAsInts() {
    int[] out = new int[labels.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = label(i);
    }
    return out;
  }

  public Dataset subset(int[] indices) {
    int p = rows * cols;
    byte[] px = new byte[indices.length * p];
    byte[] lb = new byte[indices.length];
    for (int k = 0; k < indices.length; k++) {
      System.arraycopy(pixels, indices[k] * p, px, k * p, p);
      lb[k] = labels[indices[k]];
    }
    return new Dataset(name, rows, cols, numClasses, px, lb);
  }

  public void fillBatch(int[] indices, int from, int to, float[] pixelOut, float[] oneHotOut) {
    int p = rows * cols;
    java.util.Arrays.fill(oneHotOut, 0, (to - from) * numClasses, 0f);
    for (int k = from; k < to; k++) {
      int src = indices[k] * p;
      int dst = (k - from) * p;
      for (int j = 0; j < p; j++) {
        pixelOut[dst + j] = (pixels[src + j] & 0xff) / 255f;
      }
      oneHotOut[(k - from) * numClasses + label(indices[k])] = 1f;
    }
  }
}
