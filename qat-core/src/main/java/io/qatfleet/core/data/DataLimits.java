package io.qatfleet.core.data;

import java.util.Map;
import java.util.Properties;

/**
 * Caps on what a dataset source may make a process allocate, checked against headers, file sizes
 * and image dimensions before the bytes are read: an IDX header claiming 2^31 images, a CSV with a
 * million columns or a PNG of 100,000 × 100,000 pixels is refused with a message that names the cap
 * and its configuration key ({@code qat.budget.*}, as the trainer's job budget).
 *
 * @param maxDatasetBytes decoded bytes of one dataset, train and test together (images × values)
 * @param maxSourceBytes bytes of the files a source reads (a CSV's text, an archive's batches)
 * @param maxImagePixels pixels of one decoded image before it is resized
 * @param maxCsvColumns columns of a CSV table, label included
 */
public record DataLimits(
    long maxDatasetBytes, long maxSourceBytes, long maxImagePixels, int maxCsvColumns) {

  /** 1 GiB: 20 times Fashion-MNIST (55 MB), 5 times CIFAR-10 (184 MB). */
  public static final long DEFAULT_MAX_DATASET_BYTES = 1L << 30;

  /** 4 GiB of source files. */
  public static final long DEFAULT_MAX_SOURCE_BYTES = 4L << 30;

  /** 16 megapixels (4096 × 4096). */
  public static final long DEFAULT_MAX_IMAGE_PIXELS = 4096L * 4096;

  public static final int DEFAULT_MAX_CSV_COLUMNS = 65_536;

  public static final DataLimits DEFAULTS =
      new DataLimits(
          DEFAULT_MAX_DATASET_BYTES,
          DEFAULT_MAX_SOURCE_BYTES,
          DEFAULT_MAX_IMAGE_PIXELS,
          DEFAULT_MAX_CSV_COLUMNS);

  static final String KEY = "qat.budget.";

  public DataLimits {
    positive("maxDatasetBytes", maxDatasetBytes);
    positive("maxSourceBytes", maxSourceBytes);
    positive("maxImagePixels", maxImagePixels);
    positive("maxCsvColumns", maxCsvColumns);
  }

  /**
   * The limits of this process: each key ({@code qat.budget.max-dataset-bytes}, ...) from the
   * system property of that name, else the environment variable in Quarkus' spelling ({@code
   * QAT_BUDGET_MAX_DATASET_BYTES}), else the default. Every service reads them the same way, so one
   * environment variable sets a cap for the whole fleet.
   */
  public static DataLimits fromEnvironment() {
    return from(System.getenv(), System.getProperties());
  }

  static DataLimits from(Map<String, String> env, Properties properties) {
    return new DataLimits(
        setting(env, properties, "max-dataset-bytes", DEFAULT_MAX_DATASET_BYTES),
        setting(env, properties, "max-source-bytes", DEFAULT_MAX_SOURCE_BYTES),
        setting(env, properties, "max-image-pixels", DEFAULT_MAX_IMAGE_PIXELS),
        (int) setting(env, properties, "max-csv-columns", DEFAULT_MAX_CSV_COLUMNS));
  }

  private static long setting(
      Map<String, String> env, Properties properties, String key, long def) {
    String name = KEY + key;
    String text = properties.getProperty(name);
    if (text == null) {
      text = env.get(name.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_'));
    }
    if (text == null || text.isBlank()) {
      return def;
    }
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number but was '" + text + "'");
    }
  }

  /** Throws naming {@code what}, the value and the cap when {@code value > cap}. */
  static void check(String what, long value, long cap, String key) {
    if (value > cap) {
      throw new DatasetFormatException(
          what + ": " + value + " exceeds the cap of " + cap + " (" + KEY + key + ")");
    }
  }

  void checkDatasetBytes(String what, long bytes) {
    check(what + " (decoded bytes)", bytes, maxDatasetBytes, "max-dataset-bytes");
  }

  void checkSourceBytes(String what, long bytes) {
    check(what + " (file bytes)", bytes, maxSourceBytes, "max-source-bytes");
  }

  private static void positive(String name, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, was " + value);
    }
  }
}
