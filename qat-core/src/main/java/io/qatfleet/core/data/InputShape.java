package io.qatfleet.core.data;

/**
 * The image a model takes, {@code height × width × channels}: image folders are decoded to it
 * (resized, converted to grayscale or RGB); fixed-shape formats are checked against it.
 */
public record InputShape(int height, int width, int channels) {

  public InputShape {
    if (height < 1 || width < 1 || channels < 1) {
      throw new IllegalArgumentException(
          "height, width and channels must be positive but were "
              + height
              + ", "
              + width
              + ", "
              + channels);
    }
  }

  /** Values per sample. */
  public long values() {
    return (long) height * width * channels;
  }

  @Override
  public String toString() {
    return height + "x" + width + "x" + channels;
  }
}
