package io.qatfleet.core.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The canonical SHA-256 of a dataset source, the value a job spec's {@code data.source.sha256} is
 * checked against and provenance records. For a file, the SHA-256 of its bytes ({@code sha256sum
 * FILE}). For a directory, the SHA-256 of its {@code sha256sum} manifest: one line {@code "<hex>
 * <path>\n"} (two spaces) per regular file below it, the path relative with {@code /} separators,
 * lines sorted by path in byte order, which is what {@code cd DIR && find . -type f -printf '%P\n'
 * | LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum} prints.
 */
public final class SourceDigest {

  private static final HexFormat HEX = HexFormat.of();

  private SourceDigest() {}

  /** The digest of {@code path}, a file or a directory, as lowercase hex. */
  public static String of(Path path) {
    try {
      if (Files.isDirectory(path)) {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(path)) {
          files = walk.filter(Files::isRegularFile).toList();
        }
        return manifest(path, files);
      }
      return HEX.formatHex(fileDigest(path));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot hash " + path + ": " + e.getMessage(), e);
    }
  }

  /** The manifest digest of {@code files}, each named by its path relative to {@code root}. */
  static String manifest(Path root, List<Path> files) throws IOException {
    List<String> lines =
        files.stream()
            .map(f -> root.relativize(f).toString().replace('\\', '/'))
            .sorted(SourceDigest::byteOrder)
            .toList();
    MessageDigest manifest = sha256();
    for (String relative : lines) {
      String line = HEX.formatHex(fileDigest(root.resolve(relative))) + "  " + relative + "\n";
      manifest.update(line.getBytes(StandardCharsets.UTF_8));
    }
    return HEX.formatHex(manifest.digest());
  }

  private static int byteOrder(String a, String b) {
    return java.util.Arrays.compareUnsigned(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] fileDigest(Path file) throws IOException {
    MessageDigest d = sha256();
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        d.update(buffer, 0, n);
      }
    }
    return d.digest();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
