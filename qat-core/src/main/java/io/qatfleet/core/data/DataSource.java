package io.qatfleet.core.data;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A dataset by reference, as a job spec names it ({@code data.source}): the layout of the files,
 * where they are on every service's file system, and optionally the digest they must have ({@link
 * SourceDigest}). Read by {@link DatasetLoader}; its layouts:
 *
 * <ul>
 *   <li>{@code idx}: a directory with {@code train-images-idx3-ubyte}, {@code
 *       train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte},
 *       each plain or {@code .gz}.
 *   <li>{@code imageFolder}: a directory with {@code train/} and {@code test/}, each with one
 *       subfolder per class, or the class subfolders directly (then every fifth image of each class
 *       in file-name order is a test image). PNG or JPEG, grayscale or colour, resized to the
 *       model's input and converted to its channels. Class names are the folder names, sorted.
 *   <li>{@code cifar10}: a directory with {@code data_batch_*.bin} and {@code test_batch.bin}, and
 *       optionally {@code batches.meta.txt} with the class names.
 *   <li>{@code cifar100}: a directory with {@code train.bin} and {@code test.bin} (fine labels),
 *       and optionally {@code fine_label_names.txt}.
 *   <li>{@code csv}: a file, split every fifth row to test, or a directory with {@code train.csv}
 *       and {@code test.csv}; a header row, the column {@code labelColumn} as the class and every
 *       other column a number.
 * </ul>
 *
 * <p>Instead of a {@code path}, a {@code url} ({@code https://} only, {@code sha256} required)
 * names a file each service fetches once into its cache ({@link SourceFetcher}): a CSV file, or a
 * {@code .zip} archive that unpacks to what {@code path} would hold for the other formats; the
 * digest is then the SHA-256 of the downloaded bytes.
 *
 * @param path absolute path on the services' file system; null when {@code url} names the data
 * @param url an HTTPS URL of the data; null when {@code path} names it
 * @param sha256 the {@link SourceDigest} the files must have (the downloaded bytes' SHA-256 for a
 *     {@code url}, where it is required), or null to record it unchecked
 * @param labelColumn the CSV column holding the class; null for {@value #DEFAULT_LABEL_COLUMN}
 */
public record DataSource(
    SourceFormat format,
    @JsonInclude(JsonInclude.Include.NON_NULL) String path,
    @JsonInclude(JsonInclude.Include.NON_NULL) String url,
    @JsonInclude(JsonInclude.Include.NON_NULL) String sha256,
    @JsonInclude(JsonInclude.Include.NON_NULL) String labelColumn) {

  public static final String DEFAULT_LABEL_COLUMN = "label";

  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  /** A source on the file system. */
  public DataSource(SourceFormat format, String path, String sha256, String labelColumn) {
    this(format, path, null, sha256, labelColumn);
  }

  /** The CSV label column, defaulted. */
  public String label() {
    return labelColumn == null ? DEFAULT_LABEL_COLUMN : labelColumn;
  }

  /** Every problem with this source, each naming the field under {@code prefix}; empty if valid. */
  public List<String> violations(String prefix) {
    List<String> out = new ArrayList<>();
    if (format == null) {
      out.add(prefix + ".format: required, one of idx, imageFolder, cifar10, cifar100, csv");
    }
    if (url != null) {
      if (path != null) {
        out.add(prefix + ".url: name a path or a url, not both");
      }
      java.net.URI uri = null;
      try {
        uri = new java.net.URI(url);
      } catch (java.net.URISyntaxException e) {
        out.add(prefix + ".url: not a URL: " + e.getMessage());
      }
      if (uri != null && (!"https".equals(uri.getScheme()) || uri.getHost() == null)) {
        out.add(prefix + ".url: must be an https:// URL with a host, got '" + url + "'");
      }
      if (sha256 == null) {
        out.add(prefix + ".sha256: required with a url (the SHA-256 of the file it serves)");
      }
    } else if (path == null || path.isBlank()) {
      out.add(prefix + ".path: required (or a url), an absolute path on the services' file system");
    } else {
      try {
        if (!Path.of(path).isAbsolute()) {
          out.add(prefix + ".path: must be absolute, got '" + path + "'");
        }
      } catch (InvalidPathException e) {
        out.add(prefix + ".path: not a path: " + e.getMessage());
      }
    }
    if (sha256 != null && !SHA256_HEX.matcher(sha256).matches()) {
      out.add(prefix + ".sha256: must be 64 lowercase hex digits, got '" + sha256 + "'");
    }
    if (labelColumn != null && format != SourceFormat.CSV) {
      out.add(
          prefix
              + ".labelColumn: only for format csv, got format "
              + (format == null ? null : format.specName()));
    } else if (labelColumn != null && labelColumn.isBlank()) {
      out.add(prefix + ".labelColumn: must not be blank");
    }
    return out;
  }

  /** How people and provenance name it, e.g. {@code imageFolder:/data/flowers}. */
  public String displayName() {
    return format.specName() + ":" + (url != null ? url : path);
  }
}
