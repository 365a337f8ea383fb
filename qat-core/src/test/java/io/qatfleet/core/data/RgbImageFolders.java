package io.qatfleet.core.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Writes a small RGB image folder for tests of data by reference: Fashion-MNIST images of four
 * classes, each tinted with a colour that depends on its index, not its class, as 28×28 RGB PNGs
 * under {@code train/<class>/} and {@code test/<class>/}, the layout the {@code imageFolder} format
 * reads (classes named by their folders, in name order). Shared through qat-core's test jar by the
 * single-process test ({@code ImageFolderRgbJobTest}) and the fleet's ({@code FleetEndToEndIT}).
 * Needs Debian's dataset-fashion-mnist.
 */
public final class RgbImageFolders {
  /** The folder names, in the order the image-folder reader numbers them. */
  public static final List<String> CLASS_NAMES =
      List.of("a-trouser", "b-sandal", "c-sneaker", "d-bag");

  /** Most images per class and split (the Fashion-MNIST slice read holds about 400 of each). */
  public static final int MAX_PER_CLASS = 300;

  private static final int[] LABELS = {1, 5, 7, 8}; // Trouser, Sandal, Sneaker, Bag
  private static final int[][] TINTS = {{255, 64, 64}, {64, 255, 64}, {64, 64, 255}, {255, 255, 0}};
  private static final int SIDE = 28;

  private RgbImageFolders() {}

  /**
   * Writes {@code trainPerClass} training and {@code testPerClass} test images of each of the
   * {@link #CLASS_NAMES} under {@code folder}.
   *
   * @throws IllegalArgumentException when a count is not in 1..{@link #MAX_PER_CLASS}
   */
  public static void write(Path folder, int trainPerClass, int testPerClass) throws IOException {
    requirePerClass("trainPerClass", trainPerClass);
    requirePerClass("testPerClass", testPerClass);
    DatasetSplits fmnist =
        DatasetLoader.fromEnvironment()
            .load(DatasetId.FASHION_MNIST, new SplitSpec(0, 6000, 4000, 3));
    write(folder, fmnist.train(), "train", trainPerClass);
    write(folder, fmnist.test(), "test", testPerClass);
  }

  private static void requirePerClass(String name, int count) {
    if (count < 1 || count > MAX_PER_CLASS) {
      throw new IllegalArgumentException(
          name + " must be in 1.." + MAX_PER_CLASS + " but was " + count);
    }
  }

  /** The first {@code perClass} images of each chosen class, tinted by their index. */
  private static void write(Path folder, Dataset data, String split, int perClass)
      throws IOException {
    int[] written = new int[LABELS.length];
    byte[] px = data.pixels();
    int pixels = SIDE * SIDE;
    for (int i = 0; i < data.size(); i++) {
      int c = classOf(data.label(i));
      if (c < 0 || written[c] == perClass) {
        continue;
      }
      int[] tint = TINTS[i % TINTS.length];
      BufferedImage image = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_INT_RGB);
      for (int p = 0; p < pixels; p++) {
        int v = px[i * pixels + p] & 0xFF;
        int rgb = (v * tint[0] / 255) << 16 | (v * tint[1] / 255) << 8 | v * tint[2] / 255;
        image.setRGB(p % SIDE, p / SIDE, rgb);
      }
      Path file = folder.resolve(split + "/" + CLASS_NAMES.get(c) + "/" + i + ".png");
      Files.createDirectories(file.getParent());
      ImageIO.write(image, "png", file.toFile());
      written[c]++;
    }
    for (int c = 0; c < LABELS.length; c++) {
      if (written[c] < perClass) {
        throw new IllegalStateException(
            split
                + ": only "
                + written[c]
                + " images of "
                + CLASS_NAMES.get(c)
                + " in the Fashion-MNIST slice, "
                + perClass
                + " asked");
      }
    }
  }

  private static int classOf(int label) {
    for (int c = 0; c < LABELS.length; c++) {
      if (LABELS[c] == label) {
        return c;
      }
    }
    return -1;
  }
}
