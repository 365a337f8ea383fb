package io.qatfleet.core.data;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads a folder of PNG/JPEG images, one subfolder per class ({@link SourceFormat#IMAGE_FOLDER}),
 * into datasets of the model's {@link InputShape}. Each image's dimensions are read from its header
 * and checked against {@link DataLimits#maxImagePixels()} before it is decoded; it is then resized
 * bilinearly from its raster (so no colour-space conversion changes the values; Java2D's
 * AffineTransformOp refuses many decoded raster layouts) and converted to the model's channels:
 * grey to RGB by copying, RGB to grey by the ITU-R BT.601 luma {@code 0.299 R + 0.587 G + 0.114 B}
 * (what PIL's {@code convert("L")} does). Alpha is dropped. Files with other extensions are
 * ignored.
 */
final class ImageFolderReader {

  private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg");

  private ImageFolderReader() {}

  static SourceData read(Path root, InputShape shape, DataLimits limits) throws IOException {
    Path trainDir = root.resolve("train");
    Path testDir = root.resolve("test");
    boolean ownSplit = Files.isDirectory(trainDir) && Files.isDirectory(testDir);
    List<String> classes = classes(ownSplit ? trainDir : root);
    if (classes.size() < 2 || classes.size() > 256) {
      throw new DatasetFormatException(
          (ownSplit ? trainDir : root)
              + ": an image folder needs 2..256 class subfolders, found "
              + classes.size());
    }
    List<Path> trainFiles = new ArrayList<>();
    List<Integer> trainLabels = new ArrayList<>();
    List<Path> testFiles = new ArrayList<>();
    List<Integer> testLabels = new ArrayList<>();
    for (int c = 0; c < classes.size(); c++) {
      List<Path> files = images(ownSplit ? trainDir : root, classes.get(c));
      for (int i = 0; i < files.size(); i++) {
        boolean test = !ownSplit && SourceData.isHeldOut(i);
        (test ? testFiles : trainFiles).add(files.get(i));
        (test ? testLabels : trainLabels).add(c);
      }
      if (ownSplit) {
        if (!Files.isDirectory(testDir.resolve(classes.get(c)))) {
          throw new DatasetFormatException(
              testDir + ": has no subfolder for class '" + classes.get(c) + "' of " + trainDir);
        }
        for (Path f : images(testDir, classes.get(c))) {
          testFiles.add(f);
          testLabels.add(c);
        }
      }
    }
    if (ownSplit && !classes(testDir).equals(classes)) {
      throw new DatasetFormatException(
          testDir + ": class subfolders " + classes(testDir) + " differ from train's " + classes);
    }
    long total = (long) trainFiles.size() + testFiles.size();
    limits.checkDatasetBytes(root + ": " + total + " images of " + shape, total * shape.values());
    return new SourceData(
        decode(root + "/train", trainFiles, trainLabels, classes.size(), shape, limits),
        decode(root + "/test", testFiles, testLabels, classes.size(), shape, limits),
        classes);
  }

  private static List<String> classes(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static List<Path> images(Path dir, String className) throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve(className))) {
      return s.filter(Files::isRegularFile)
          .filter(
              p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return EXTENSIONS.stream().anyMatch(n::endsWith);
              })
          .sorted()
          .toList();
    }
  }

  private static Dataset decode(
      String name,
      List<Path> files,
      List<Integer> labels,
      int classes,
      InputShape shape,
      DataLimits limits)
      throws IOException {
    int per = (int) shape.values();
    byte[] pixels = new byte[Math.multiplyExact(files.size(), per)];
    byte[] labelBytes = new byte[files.size()];
    for (int i = 0; i < files.size(); i++) {
      byte[] image = image(files.get(i), shape, limits);
      System.arraycopy(image, 0, pixels, i * per, per);
      labelBytes[i] = (byte) (int) labels.get(i);
    }
    return new Dataset(
        name, shape.height(), shape.width(), shape.channels(), classes, pixels, labelBytes);
  }

  /** One image as HWC bytes of {@code shape}. */
  static byte[] image(Path file, InputShape shape, DataLimits limits) throws IOException {
    Raster raster = decode(file, limits);
    int bands = raster.getNumBands() >= 3 ? 3 : 1; // alpha dropped
    int sw = raster.getWidth();
    int sh = raster.getHeight();
    int[] src = new int[sw * sh * bands];
    int[] px = new int[raster.getNumBands()];
    for (int y = 0; y < sh; y++) {
      for (int x = 0; x < sw; x++) {
        raster.getPixel(x, y, px);
        System.arraycopy(px, 0, src, (y * sw + x) * bands, bands);
      }
    }
    int h = shape.height();
    int w = shape.width();
    int channels = shape.channels();
    byte[] out = new byte[(int) shape.values()];
    float[] v = new float[bands];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        bilinear(src, sw, sh, bands, (x + 0.5f) * sw / w - 0.5f, (y + 0.5f) * sh / h - 0.5f, v);
        int o = (y * w + x) * channels;
        if (channels == 1) {
          float grey = bands == 1 ? v[0] : 0.299f * v[0] + 0.587f * v[1] + 0.114f * v[2];
          out[o] = (byte) Math.min(255, Math.round(grey));
        } else {
          for (int c = 0; c < channels; c++) {
            out[o + c] = (byte) Math.min(255, Math.round(v[bands == 1 ? 0 : Math.min(c, 2)]));
          }
        }
      }
    }
    return out;
  }

  /**
   * The source sampled at {@code (fx, fy)} with half-pixel centres, as TensorFlow's bilinear resize
   * with {@code half_pixel_centers}: edges clamp.
   */
  private static void bilinear(
      int[] src, int sw, int sh, int bands, float fx, float fy, float[] out) {
    float cx = Math.max(0, Math.min(sw - 1, fx));
    float cy = Math.max(0, Math.min(sh - 1, fy));
    int x0 = (int) cx;
    int y0 = (int) cy;
    int x1 = Math.min(sw - 1, x0 + 1);
    int y1 = Math.min(sh - 1, y0 + 1);
    float ax = cx - x0;
    float ay = cy - y0;
    for (int b = 0; b < bands; b++) {
      float top = src[(y0 * sw + x0) * bands + b] * (1 - ax) + src[(y0 * sw + x1) * bands + b] * ax;
      float bottom =
          src[(y1 * sw + x0) * bands + b] * (1 - ax) + src[(y1 * sw + x1) * bands + b] * ax;
      out[b] = top * (1 - ay) + bottom * ay;
    }
  }

  /** The decoded image as a raster of grey (1 band, 2 with alpha) or RGB (3, 4 with alpha). */
  private static Raster decode(Path file, DataLimits limits) throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
      if (readers == null || !readers.hasNext()) {
        throw new DatasetFormatException(file + ": not a PNG or JPEG image");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
        DataLimits.check(
            file + ": image of " + reader.getWidth(0) + "x" + reader.getHeight(0) + " pixels",
            pixels,
            limits.maxImagePixels(),
            "max-image-pixels");
        BufferedImage image = reader.read(0);
        int bands = image.getRaster().getNumBands();
        boolean direct =
            image.getColorModel().getColorSpace().getNumComponents() == (bands >= 3 ? 3 : 1)
                && !(image.getColorModel() instanceof java.awt.image.IndexColorModel)
                && image.getRaster().getSampleModel().getSampleSize(0) == 8;
        return direct ? image.getRaster() : rgb(image);
      } catch (IOException | RuntimeException e) {
        if (e instanceof DatasetFormatException) {
          throw e;
        }
        throw new DatasetFormatException(file + ": cannot decode image: " + e.getMessage(), e);
      } finally {
        reader.dispose();
      }
    }
  }

  /** Palette, 16-bit and packed images through the colour model, as 8-bit RGB. */
  private static Raster rgb(BufferedImage image) {
    BufferedImage rgb =
        new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        rgb.setRGB(x, y, image.getRGB(x, y));
      }
    }
    return rgb.getRaster();
  }
}
