package io.qatfleet.core.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads the binary versions of CIFAR-10 and CIFAR-100 (Krizhevsky, 2009): records of label byte(s)
 * then 3072 pixel bytes, the red, green and blue 32×32 planes in turn. CIFAR-10 records have one
 * label ({@code data_batch_*.bin}, {@code test_batch.bin}); CIFAR-100 records a coarse and a fine
 * label ({@code train.bin}, {@code test.bin}), of which the fine one (100 classes) is used. Pixels
 * are reordered to the interleaved HWC layout of {@link Dataset}. File sizes are checked to be
 * whole records, and against {@link DataLimits}, before anything is read.
 */
final class CifarReader {

  static final int SIDE = 32;
  static final int CHANNELS = 3;
  static final int PLANE = SIDE * SIDE;
  static final int IMAGE = PLANE * CHANNELS;

  private CifarReader() {}

  static SourceData read(Path dir, boolean hundred, DataLimits limits) throws IOException {
    List<Path> train;
    Path test;
    if (hundred) {
      train = List.of(required(dir, "train.bin"));
      test = required(dir, "test.bin");
    } else {
      try (Stream<Path> s = Files.list(dir)) {
        train =
            s.filter(p -> p.getFileName().toString().matches("data_batch_\\d+\\.bin"))
                .sorted()
                .toList();
      }
      if (train.isEmpty()) {
        throw new DatasetFormatException(dir + ": no CIFAR-10 training batch data_batch_*.bin");
      }
      test = required(dir, "test_batch.bin");
    }
    int classes = hundred ? 100 : 10;
    List<String> names =
        names(dir.resolve(hundred ? "fine_label_names.txt" : "batches.meta.txt"), classes);
    int labelBytes = hundred ? 2 : 1;
    long record = labelBytes + IMAGE;
    long bytes = 0;
    List<Path> all = new ArrayList<>(train);
    all.add(test);
    for (Path f : all) {
      long size = Files.size(f);
      if (size == 0 || size % record != 0) {
        throw new DatasetFormatException(
            f + ": " + size + " bytes are not whole CIFAR records of " + record + " bytes");
      }
      bytes += size;
    }
    limits.checkSourceBytes(dir.toString(), bytes);
    limits.checkDatasetBytes(dir.toString(), bytes / record * IMAGE);
    return new SourceData(
        read(dir + "/train", train, labelBytes, classes),
        read(dir + "/test", List.of(test), labelBytes, classes),
        names);
  }

  private static Path required(Path dir, String name) {
    Path f = dir.resolve(name);
    if (!Files.isRegularFile(f)) {
      throw new DatasetFormatException(dir + ": missing " + name);
    }
    return f;
  }

  /** One name per line where the file exists (blank lines skipped), else the label numbers. */
  private static List<String> names(Path file, int classes) throws IOException {
    if (!Files.isRegularFile(file)) {
      return SourceData.numbered(classes);
    }
    if (Files.size(file) > 64 * 1024) {
      throw new DatasetFormatException(file + ": over 64 KiB, not a list of class names");
    }
    List<String> names =
        Files.readAllLines(file, StandardCharsets.UTF_8).stream()
            .map(String::strip)
            .filter(s -> !s.isEmpty())
            .toList();
    if (names.size() != classes) {
      throw new DatasetFormatException(
          file + ": names " + names.size() + " classes, expected " + classes);
    }
    return names;
  }

  private static Dataset read(String name, List<Path> files, int labelBytes, int classes)
      throws IOException {
    long count = 0;
    for (Path f : files) {
      count += Files.size(f) / (labelBytes + IMAGE);
    }
    int n = Math.toIntExact(count);
    byte[] pixels = new byte[Math.multiplyExact(n, IMAGE)];
    byte[] labels = new byte[n];
    byte[] record = new byte[labelBytes + IMAGE];
    int i = 0;
    for (Path f : files) {
      try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
        while (in.readNBytes(record, 0, record.length) == record.length) {
          int label = record[labelBytes - 1] & 0xFF;
          if (label >= classes) {
            throw new DatasetFormatException(
                f + ": record " + i + " has label " + label + ", outside 0.." + (classes - 1));
          }
          labels[i] = (byte) label;
          int base = i * IMAGE;
          for (int p = 0; p < PLANE; p++) {
            for (int c = 0; c < CHANNELS; c++) {
              pixels[base + p * CHANNELS + c] = record[labelBytes + c * PLANE + p];
            }
          }
          i++;
        }
      }
    }
    if (i != n) {
      throw new DatasetFormatException(name + ": files changed while being read");
    }
    return new Dataset(name, SIDE, SIDE, CHANNELS, classes, pixels, labels);
  }
}
