package io.qatfleet.core.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;

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
 * <p>A job may instead name its data by reference ({@link DataSource}): files at any path in one of
 * the {@link SourceFormat}s, read to the model's {@link InputShape}, their canonical digest ({@link
 * SourceDigest}) checked against the spec's and recorded, sizes bounded by {@link DataLimits}.
 *
 * <p>Raw datasets are cached in static maps, because every service loads the same data for every
 * job: named datasets by directory, re-read when a file's size or modification time changes;
 * sources by (format, label column, input shape, digest), so the digest, computed on every load,
 * decides whether the cached copy is still the data the files hold. Services fill the named
 * datasets' cache when they start ({@link #preload}).
 */
public final class DatasetLoader {

  /** Environment variable naming the data dir. */
  public static final String DATA_DIR_ENV = "QAT_DATA_DIR";

  /** System property naming the data dir; wins over {@value #DATA_DIR_ENV}. */
  public static final String DATA_DIR_PROPERTY = "qat.data.dir";

  /** Environment variable naming where sources by URL are cached (a writable directory). */
  public static final String DOWNLOAD_DIR_ENV = "QAT_DATA_DOWNLOAD_DIR";

  /** System property naming it; wins over {@value #DOWNLOAD_DIR_ENV}. */
  public static final String DOWNLOAD_DIR_PROPERTY = "qat.data.download-dir";

  private static final String DOWNLOADS = "downloads";

  /** Files and directories a source directory may hold: 14 times Fashion-MNIST as image files. */
  static final long MAX_SOURCE_ENTRIES = 1_000_000;

  /** Where system packages install datasets. */
  public static final Path SYSTEM_DATASETS_DIR = Path.of("/usr/share/datasets");

  private static final String GZ = ".gz";

  private static final ConcurrentMap<Path, Raw> CACHE = new ConcurrentHashMap<>();
  private static final ConcurrentMap<SourceKey, SourceData> SOURCES = new ConcurrentHashMap<>();

  private final Path dataDir;
  private final List<Path> systemRoots;
  private final DataLimits limits;
  private final Path downloadDir;
  private final javax.net.ssl.SSLContext ssl;

  /** A loader that searches {@code dataDir}, then {@link #SYSTEM_DATASETS_DIR}. */
  public DatasetLoader(Path dataDir) {
    this(dataDir, List.of(SYSTEM_DATASETS_DIR));
  }

  /** A loader that searches {@code dataDir}, then each of {@code systemRoots} in order. */
  public DatasetLoader(Path dataDir, List<Path> systemRoots) {
    this(dataDir, systemRoots, DataLimits.DEFAULTS);
  }

  /** A loader that searches as above and reads sources within {@code limits}. */
  public DatasetLoader(Path dataDir, List<Path> systemRoots, DataLimits limits) {
    this(dataDir, systemRoots, limits, dataDir.resolve(DOWNLOADS), defaultSsl());
  }

  private DatasetLoader(
      Path dataDir,
      List<Path> systemRoots,
      DataLimits limits,
      Path downloadDir,
      javax.net.ssl.SSLContext ssl) {
    this.dataDir = Objects.requireNonNull(dataDir, "dataDir must not be null");
    this.systemRoots = List.copyOf(systemRoots);
    this.limits = Objects.requireNonNull(limits, "limits must not be null");
    this.downloadDir = Objects.requireNonNull(downloadDir, "downloadDir must not be null");
    this.ssl = Objects.requireNonNull(ssl, "ssl must not be null");
  }

  /**
   * This loader with sources by URL fetched into {@code downloadDir} over connections trusting what
   * {@code ssl} trusts (the JVM's default trust store otherwise).
   */
  public DatasetLoader withDownloads(Path downloadDir, javax.net.ssl.SSLContext ssl) {
    return new DatasetLoader(dataDir, systemRoots, limits, downloadDir, ssl);
  }

  private static javax.net.ssl.SSLContext defaultSsl() {
    try {
      return javax.net.ssl.SSLContext.getDefault();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("no default TLS context", e);
    }
  }

  /** A loader configured from system properties and the environment of this process. */
  public static DatasetLoader fromEnvironment() {
    return fromEnvironment(DataLimits.fromEnvironment());
  }

  /**
   * A loader with the data dir of this process and the given limits; sources by URL are cached in
   * {@value #DOWNLOAD_DIR_PROPERTY} (or {@value #DOWNLOAD_DIR_ENV}), else {@code
   * <dataDir>/downloads}.
   */
  public static DatasetLoader fromEnvironment(DataLimits limits) {
    Path dataDir = resolveDataDir(System.getenv(), System.getProperties());
    String downloads = System.getProperty(DOWNLOAD_DIR_PROPERTY, System.getenv(DOWNLOAD_DIR_ENV));
    return new DatasetLoader(dataDir, List.of(SYSTEM_DATASETS_DIR), limits)
        .withDownloads(
            downloads == null || downloads.isBlank()
                ? dataDir.resolve(DOWNLOADS)
                : Path.of(downloads),
            defaultSsl());
  }

  public DataLimits limits() {
    return limits;
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
    return split(
        new DatasetDescription(id.displayName(), raw.digest(), id.classNames()),
        id.dirName(),
        raw.train,
        raw.test,
        spec);
  }

  /**
   * Loads {@code source} as images of {@code shape} (image folders are resized and converted to it;
   * fixed-shape formats keep their own, which {@link #read} callers check) and splits it as {@code
   * spec} says: the calibration split is drawn from the source's training samples, the test split
   * is the source's own.
   *
   * @throws DatasetFormatException if the files are not what the format says, their digest is not
   *     {@code source.sha256()}, or a size is over the {@link DataLimits}
   * @throws IllegalArgumentException if the calibration split would leave no training images
   * @throws UncheckedIOException if a file cannot be read
   */
  public DatasetSplits load(DataSource source, InputShape shape, SplitSpec spec) {
    Objects.requireNonNull(spec, "spec must not be null");
    Loaded loaded = read(source, shape);
    return split(
        loaded.description(), source.displayName(), loaded.data.train(), loaded.data.test(), spec);
  }

  /** A source read and checked, with its description; cached as {@link #load} is. */
  public record Loaded(DatasetDescription description, SourceData data) {
    public Dataset train() {
      return data.train();
    }

    public Dataset test() {
      return data.test();
    }
  }

  /** Reads {@code source} (or takes it from the cache) without splitting it. */
  public Loaded read(DataSource source, InputShape shape) {
    Objects.requireNonNull(source, "source must not be null");
    if (source.url() != null) {
      Path local = new SourceFetcher(downloadDir, limits, ssl).fetch(source.url(), source.sha256());
      return cachedSource(source, local, shape, source.sha256());
    }
    Path path = Path.of(source.path());
    if (!Files.exists(path)) {
      throw new DatasetFormatException(
          "data.source.path: " + path + " does not exist on this service's file system");
    }
    requireBoundedSource(path);
    String digest = SourceDigest.of(path);
    if (source.sha256() != null && !source.sha256().equals(digest)) {
      throw new DatasetFormatException(
          "data.source.sha256: "
              + path
              + " has digest "
              + digest
              + ", the spec expects "
              + source.sha256());
    }
    return cachedSource(source, path, shape, digest);
  }

  /**
   * Refuses what is no dataset before a byte of it is hashed: a device or a pipe ({@code /dev/zero}
   * never ends), a file or a tree of files over the source cap ({@code
   * qat.budget.max-source-bytes}), a tree of more entries than any dataset has.
   */
  private void requireBoundedSource(Path path) {
    String what = "data.source.path: " + path;
    try {
      if (Files.isRegularFile(path)) {
        limits.checkSourceBytes(what, Files.size(path));
        return;
      }
      if (!Files.isDirectory(path)) {
        throw new DatasetFormatException(what + " is neither a regular file nor a directory");
      }
      long bytes = 0;
      long entries = 0;
      try (Stream<Path> walk = Files.walk(path)) {
        for (Iterator<Path> it = walk.iterator(); it.hasNext(); ) {
          Path entry = it.next();
          if (++entries > MAX_SOURCE_ENTRIES) {
            throw new DatasetFormatException(
                what + " holds more than " + MAX_SOURCE_ENTRIES + " files and directories");
          }
          if (Files.isRegularFile(entry)) {
            bytes += Files.size(entry);
            limits.checkSourceBytes(what, bytes);
          }
        }
      }
    } catch (IOException | UncheckedIOException e) {
      throw new DatasetFormatException(what + " cannot be read: " + e.getMessage(), e);
    }
  }

  private Loaded cachedSource(DataSource source, Path path, InputShape shape, String digest) {
    SourceKey key = new SourceKey(source.format(), source.label(), shape, digest);
    SourceData data = SOURCES.computeIfAbsent(key, k -> readSource(source, path, shape));
    return new Loaded(
        new DatasetDescription(source.displayName(), digest, data.classNames()), data);
  }

  private SourceData readSource(DataSource source, Path path, InputShape shape) {
    try {
      requireDirectory(path, source.format() != SourceFormat.CSV);
      return switch (source.format()) {
        case IDX -> idx(path);
        case IMAGE_FOLDER -> ImageFolderReader.read(path, shape, limits);
        case CIFAR10 -> CifarReader.read(path, false, limits);
        case CIFAR100 -> CifarReader.read(path, true, limits);
        case CSV -> CsvReader.read(path, source.label(), limits);
      };
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void requireDirectory(Path path, boolean directory) {
    if (directory && !Files.isDirectory(path)) {
      throw new DatasetFormatException("data.source.path: " + path + " is not a directory");
    }
  }

  private SourceData idx(Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    for (String stem : DatasetId.FILE_STEMS) {
      Path file = existing(dir, stem);
      if (file == null) {
        throw new DatasetFormatException(dir + ": missing " + stem + "[" + GZ + "]");
      }
      files.add(file);
    }
    Dataset train = IdxReader.read(dir + "/train", files.get(0), files.get(1), 256, limits);
    Dataset test = IdxReader.read(dir + "/test", files.get(2), files.get(3), 256, limits);
    int classes = Math.max(maxLabel(train), maxLabel(test)) + 1;
    return new SourceData(
        withClasses(train, classes), withClasses(test, classes), SourceData.numbered(classes));
  }

  private static int maxLabel(Dataset d) {
    int max = 0;
    for (byte b : d.labels()) {
      max = Math.max(max, b & 0xFF);
    }
    return max;
  }

  private static Dataset withClasses(Dataset d, int classes) {
    return new Dataset(d.name(), d.rows(), d.cols(), d.channels(), classes, d.pixels(), d.labels());
  }

  private static DatasetSplits split(
      DatasetDescription description,
      String prefixName,
      Dataset train,
      Dataset test,
      SplitSpec spec) {
    int trainFileSize = train.size();
    if (spec.calibrationSize() >= trainFileSize) {
      throw new IllegalArgumentException(
          "calibrationSize "
              + spec.calibrationSize()
              + " must be smaller than the "
              + trainFileSize
              + " training images of "
              + description.name());
    }
    Random random = new Random(spec.seed());
    int[] order = permutation(trainFileSize, random);
    int calibrationEnd = spec.calibrationSize();
    int trainCount = limit(spec.trainLimit(), trainFileSize - calibrationEnd);
    int[] calibration = sortedSlice(order, 0, calibrationEnd);
    int[] trainIdx = sortedSlice(order, calibrationEnd, calibrationEnd + trainCount);
    int testCount = limit(spec.testLimit(), test.size());
    int[] testIdx =
        testCount == test.size()
            ? IntStream.range(0, testCount).toArray()
            : sortedSlice(permutation(test.size(), random), 0, testCount);
    String prefix = prefixName + "/";
    return new DatasetSplits(
        description,
        train.subset(prefix + "train", trainIdx),
        train.subset(prefix + "calibration", calibration),
        test.subset(prefix + "test", testIdx));
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
    SOURCES.clear();
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
      return new Raw(stamp, train, test, files);
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

  private record SourceKey(SourceFormat format, String label, InputShape shape, String digest) {}

  /** A named dataset's files and contents; the digest is computed on first use. */
  private static final class Raw {
    final List<String> stamp;
    final Dataset train;
    final Dataset test;
    final List<Path> files;
    private String digest;

    Raw(List<String> stamp, Dataset train, Dataset test, List<Path> files) {
      this.stamp = stamp;
      this.train = train;
      this.test = test;
      this.files = files;
    }

    synchronized String digest() {
      if (digest == null) {
        try {
          digest = SourceDigest.manifest(files.get(0).getParent(), files);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return digest;
    }
  }
}
