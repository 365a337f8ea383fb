package io.qatfleet.core.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.IntStream;

/**
 * Finds a dataset's IDX files on disk, reads them once per process, and cuts the train, calibration
 * and test splits a job asks for.
 *
 * <p>Directories are searched in order: {@code <dataDir>/<dirName>}, then {@code <root>/<dirName>}
 * for each system root ({@code /usr/share/datasets} by default, where Debian's {@code
 * dataset-fashion-mnist} installs). The data dir is the system property {@value
 * #DATA_DIR_PROPERTY}, else the environment variable {@value #DATA_DIR_ENV}, else {@code
 * $HOME/.cache/qat-fleet/datasets}. A dataset found nowhere is a {@link DatasetNotFoundException}
 * that says how to install it.
 *
 * <p>Raw datasets are cached in a static map keyed by directory, because every service loads the
 * same data for every job; an entry is re-read when a file's size or modification time changes. The
 * cache holds one entry per dataset directory (a few tens of MB each: the IDX bytes as read), so it
 * is bounded by the datasets a process uses. Services fill it when they start ({@link #preload});
 * the splits of a job are cut from it per job (milliseconds, against seconds for reading and
 * unpacking the files).
 */
public final class DatasetLoader {

  /** Environment variable naming the data dir. */
  public static final String DATA_DIR_ENV = "QAT_DATA_DIR";

  /** System property naming the data dir; wins over {@value #DATA_DIR_ENV}. */
  public static final String DATA_DIR_PROPERTY = "qat.data.dir";

  /** Where system packages install datasets. */
  public static final Path SYSTEM_DATASETS_DIR = Path.of("/usr/share/datasets");

  private static final String GZ = ".gz";

  private static final ConcurrentMap<Path, Raw> CACHE = new ConcurrentHashMap<>();

  private final Path dataDir;
  private final List<Path> systemRoots;

  /** A loader that searches {@code dataDir}, then {@link #SYSTEM_DATASETS_DIR}. */
  public DatasetLoader(Path dataDir) {
    this(dataDir, List.of(SYSTEM_DATASETS_DIR));
  }

  /** A loader that searches {@code dataDir}, then each of {@code systemRoots} in order. */
  public DatasetLoader(Path dataDir, List<Path> systemRoots) {
    this.dataDir = Objects.requireNonNull(dataDir, "dataDir must not be null");
    this.systemRoots = List.copyOf(systemRoots);
  }

  /** A loader configured from system properties and the environment of this process. */
  public static DatasetLoader fromEnvironment() {
    return new DatasetLoader(resolveDataDir(System.getenv(), System.getProperties()));
  }

  /** The data dir that {@link #fromEnvironment()} would use for these settings. */
  static Path resolveDataDir(Map<String, String> env, Properties properties) {
    String fromProperty = properties.getProperty(DATA_DIR_PROPERTY);
    if (fromProperty != null && !fromProperty.isBlank()) {
      return Path.of(fromProperty);
    }
    String fromEnv = env.get(DATA_DIR_ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv);
    }
    String home = env.getOrDefault("HOME", properties.getProperty("user.home"));
    return Path.of(home, ".cache", "qat-fleet", "datasets");
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The directories searched for {@code id}, in order. */
  public List<Path> searchDirs(DatasetId id) {
    List<Path> dirs = new ArrayList<>();
    dirs.add(dataDir.resolve(id.dirName()));
    for (Path root : systemRoots) {
      dirs.add(root.resolve(id.dirName()));
    }
    return dirs;
  }

  /**
   * Loads {@code id} and splits it as {@code spec} says. The calibration images are a random subset
   * of the training file, chosen with {@code spec.seed()} and excluded from the training split;
   * limits larger than what is available mean "all". Subsets keep file order.
   *
   * @throws DatasetNotFoundException if no searched directory holds the dataset
   * @throws IdxFormatException if its files are corrupt
   * @throws IllegalArgumentException if the calibration split would leave no training images
   * @throws UncheckedIOException if a file cannot be read
   */
  public DatasetSplits load(DatasetId id, SplitSpec spec) {
    Objects.requireNonNull(spec, "spec must not be null");
    Raw raw = raw(id, new boolean[1]);
    int trainFileSize = raw.train.size();
    if (spec.calibrationSize() >= trainFileSize) {
      throw new IllegalArgumentException(
          "calibrationSize "
              + spec.calibrationSize()
              + " must be smaller than the "
              + trainFileSize
              + " training images of "
              + id.displayName());
    }
    Random random = new Random(spec.seed());
    int[] order = permutation(trainFileSize, random);
    int calibrationEnd = spec.calibrationSize();
    int trainCount = limit(spec.trainLimit(), trainFileSize - calibrationEnd);
    int[] calibration = sortedSlice(order, 0, calibrationEnd);
    int[] train = sortedSlice(order, calibrationEnd, calibrationEnd + trainCount);
    int testCount = limit(spec.testLimit(), raw.test.size());
    int[] test =
        testCount == raw.test.size()
            ? IntStream.range(0, testCount).toArray()
            : sortedSlice(permutation(raw.test.size(), random), 0, testCount);
    String prefix = id.dirName() + "/";
    return new DatasetSplits(
        id,
        raw.train.subset(prefix + "train", train),
        raw.train.subset(prefix + "calibration", calibration),
        raw.test.subset(prefix + "test", test));
  }

  /**
   * Reads {@code id} into the process-wide cache now, so that the first job of a service does not
   * pay for it (services call this when they start).
   *
   * @return true when the files were read, false when the cache held them already
   * @throws DatasetNotFoundException if no searched directory holds the dataset
   * @throws IdxFormatException if its files are corrupt
   */
  public boolean preload(DatasetId id) {
    boolean[] read = {false};
    raw(id, read);
    return read[0];
  }

  /** Drops every cached dataset, e.g. to free memory in a long-lived tool. */
  public static void clearCache() {
    CACHE.clear();
  }

  /** The cached files of {@code id}, read first if need be ({@code read[0]} set then). */
  private Raw raw(DatasetId id, boolean[] read) {
    Objects.requireNonNull(id, "id must not be null");
    List<Path> searched = searchDirs(id);
    List<String> findings = new ArrayList<>();
    for (Path dir : searched) {
      if (!Files.isDirectory(dir)) {
        findings.add("no such directory");
        continue;
      }
      List<Path> files = new ArrayList<>();
      List<String> missing = new ArrayList<>();
      for (String stem : DatasetId.FILE_STEMS) {
        Path file = existing(dir, stem);
        if (file == null) {
          missing.add(stem + "[" + GZ + "]");
        } else {
          files.add(file);
        }
      }
      if (missing.isEmpty()) {
        return cached(id, dir, files, read);
      }
      findings.add("missing " + String.join(", ", missing));
    }
    throw new DatasetNotFoundException(id, searched, findings, dataDir);
  }

  private static Path existing(Path dir, String stem) {
    for (Path candidate : List.of(dir.resolve(stem), dir.resolve(stem + GZ))) {
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  private static Raw cached(DatasetId id, Path dir, List<Path> files, boolean[] read) {
    try {
      Path key = dir.toRealPath();
      List<String> stamp = stamp(files);
      return CACHE.compute(
          key,
          (k, old) -> {
            if (old != null && old.stamp.equals(stamp)) {
              return old;
            }
            read[0] = true;
            return read(id, files, stamp);
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> stamp(List<Path> files) throws IOException {
    List<String> stamp = new ArrayList<>();
    for (Path file : files) {
      BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
      stamp.add(file + ":" + attrs.size() + ":" + attrs.lastModifiedTime().toMillis());
    }
    return stamp;
  }

  private static Raw read(DatasetId id, List<Path> files, List<String> stamp) {
    try {
      Dataset train =
          IdxReader.read(id.dirName() + "/train", files.get(0), files.get(1), id.numClasses());
      Dataset test =
          IdxReader.read(id.dirName() + "/test", files.get(2), files.get(3), id.numClasses());
      return new Raw(stamp, train, test);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int[] permutation(int n, Random random) {
    int[] p = IntStream.range(0, n).toArray();
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  private static int[] sortedSlice(int[] order, int from, int to) {
    int[] slice = Arrays.copyOfRange(order, from, to);
    Arrays.sort(slice);
    return slice;
  }

  private static int limit(int limit, int available) {
    return limit == 0 ? available : Math.min(limit, available);
  }

  private record Raw(List<String> stamp, Dataset train, Dataset test) {}
}
