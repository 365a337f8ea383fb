package io.qatfleet.core.data;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * Reads a CSV table ({@link SourceFormat#CSV}) for an MLP: a header row, then one row per sample;
 * the label column is the class, every other column a finite number. Each sample becomes a {@code 1
 * × features} single-channel image, each feature min-max scaled over the training rows onto the
 * byte grid {@code 0..255} (the 8-bit input every model here takes; test values outside the
 * training range are clamped). Labels that are all whole numbers {@code 0..K-1} are the classes
 * themselves; otherwise the distinct labels, sorted, are the class names. Parsing is Jackson's CSV
 * module (RFC 4180 quoting); the file size and the header's column count are checked against {@link
 * DataLimits} before the rows are read.
 */
final class CsvReader {

  private static final CsvMapper MAPPER = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY);

  private CsvReader() {}

  static SourceData read(Path path, String labelColumn, DataLimits limits) throws IOException {
    Path train = path;
    Path test = null;
    if (Files.isDirectory(path)) {
      train = path.resolve("train.csv");
      test = path.resolve("test.csv");
      for (Path f : List.of(train, test)) {
        if (!Files.isRegularFile(f)) {
          throw new DatasetFormatException(path + ": a CSV directory needs train.csv and test.csv");
        }
      }
    }
    long bytes = Files.size(train) + (test == null ? 0 : Files.size(test));
    limits.checkSourceBytes(path.toString(), bytes);
    Table trainRows = table(train, labelColumn, limits);
    List<String[]> testRows;
    if (test == null) {
      testRows = new ArrayList<>();
      split(trainRows, testRows);
    } else {
      Table t = table(test, labelColumn, limits);
      if (!Arrays.equals(t.header, trainRows.header)) {
        throw new DatasetFormatException(test + ": header differs from " + train);
      }
      testRows = t.rows;
    }
    int features = trainRows.header.length - 1;
    long total = (long) trainRows.rows.size() + testRows.size();
    limits.checkDatasetBytes(path + ": " + total + " rows of " + features, total * features);
    List<String> classes = classes(trainRows.rows, testRows, trainRows.label, train);
    double[] min = new double[features];
    double[] max = new double[features];
    Arrays.fill(min, Double.POSITIVE_INFINITY);
    Arrays.fill(max, Double.NEGATIVE_INFINITY);
    List<double[]> trainValues = values(trainRows, trainRows.rows, train);
    for (double[] v : trainValues) {
      for (int f = 0; f < features; f++) {
        min[f] = Math.min(min[f], v[f]);
        max[f] = Math.max(max[f], v[f]);
      }
    }
    return new SourceData(
        dataset(path + "/train", trainValues, trainRows.rows, trainRows.label, classes, min, max),
        dataset(
            path + "/test",
            values(trainRows, testRows, test == null ? train : test),
            testRows,
            trainRows.label,
            classes,
            min,
            max),
        classes);
  }

  private record Table(String[] header, int label, List<String[]> rows) {}

  private static Table table(Path file, String labelColumn, DataLimits limits) throws IOException {
    try (MappingIterator<String[]> it =
        MAPPER.readerFor(String[].class).readValues(file.toFile())) {
      if (!it.hasNext()) {
        throw new DatasetFormatException(file + ": empty, expected a header row");
      }
      String[] header = it.next();
      DataLimits.check(
          file + ": header of " + header.length + " columns",
          header.length,
          limits.maxCsvColumns(),
          "max-csv-columns");
      int label = Arrays.asList(header).indexOf(labelColumn);
      if (label < 0) {
        throw new DatasetFormatException(
            file + ": no column '" + labelColumn + "' (data.source.labelColumn) in the header");
      }
      if (header.length < 2) {
        throw new DatasetFormatException(file + ": needs a feature column besides the label");
      }
      List<String[]> rows = new ArrayList<>();
      while (it.hasNext()) {
        String[] row = it.next();
        if (row.length == 1 && row[0].isBlank()) {
          continue;
        }
        if (row.length != header.length) {
          throw new DatasetFormatException(
              file
                  + ": row "
                  + (rows.size() + 2)
                  + " has "
                  + row.length
                  + " columns, the header "
                  + header.length);
        }
        rows.add(row);
      }
      if (rows.isEmpty()) {
        throw new DatasetFormatException(file + ": no data rows");
      }
      return new Table(header, label, rows);
    } catch (RuntimeException e) {
      if (e instanceof DatasetFormatException) {
        throw e;
      }
      throw new DatasetFormatException(file + ": not valid CSV: " + e.getMessage(), e);
    }
  }

  /** Moves every fifth row of each class to {@code test}, keeping order. */
  private static void split(Table table, List<String[]> test) {
    List<String[]> train = new ArrayList<>();
    java.util.Map<String, Integer> seen = new java.util.HashMap<>();
    for (String[] row : table.rows) {
      int i = seen.merge(row[table.label].strip(), 1, Integer::sum) - 1;
      (SourceData.isHeldOut(i) ? test : train).add(row);
    }
    table.rows.clear();
    table.rows.addAll(train);
  }

  private static List<String> classes(
      List<String[]> train, List<String[]> test, int label, Path file) {
    TreeSet<String> distinct = new TreeSet<>();
    for (List<String[]> rows : List.of(train, test)) {
      for (String[] r : rows) {
        distinct.add(r[label].strip());
        if (distinct.size() > 256) {
          throw new DatasetFormatException(file + ": more than 256 distinct labels");
        }
      }
    }
    if (distinct.stream().allMatch(s -> s.matches("0|[1-9]\\d{0,2}"))) {
      int max = distinct.stream().mapToInt(Integer::parseInt).max().orElse(0);
      if (max < 256) {
        return SourceData.numbered(max + 1);
      }
    }
    return List.copyOf(distinct);
  }

  private static List<double[]> values(Table table, List<String[]> rows, Path file) {
    int features = table.header.length - 1;
    List<double[]> out = new ArrayList<>(rows.size());
    for (int r = 0; r < rows.size(); r++) {
      String[] row = rows.get(r);
      double[] v = new double[features];
      for (int c = 0, f = 0; c < row.length; c++) {
        if (c == table.label) {
          continue;
        }
        try {
          v[f] = Double.parseDouble(row[c].strip());
        } catch (NumberFormatException e) {
          v[f] = Double.NaN;
        }
        if (!Double.isFinite(v[f])) {
          throw new DatasetFormatException(
              file + ": column '" + table.header[c] + "' is not a finite number: '" + row[c] + "'");
        }
        f++;
      }
      out.add(v);
    }
    return out;
  }

  private static Dataset dataset(
      String name,
      List<double[]> values,
      List<String[]> rows,
      int label,
      List<String> classes,
      double[] min,
      double[] max) {
    int features = min.length;
    byte[] pixels = new byte[Math.multiplyExact(values.size(), features)];
    byte[] labels = new byte[values.size()];
    for (int r = 0; r < values.size(); r++) {
      double[] v = values.get(r);
      for (int f = 0; f < features; f++) {
        double range = max[f] - min[f];
        double scaled = range > 0 ? (v[f] - min[f]) / range : 0;
        pixels[r * features + f] = (byte) Math.round(255 * Math.max(0, Math.min(1, scaled)));
      }
      labels[r] = (byte) classes.indexOf(rows.get(r)[label].strip());
    }
    return new Dataset(name, 1, features, 1, classes.size(), pixels, labels);
  }
}
