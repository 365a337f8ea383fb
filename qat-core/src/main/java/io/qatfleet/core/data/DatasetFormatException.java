package io.qatfleet.core.data;

/**
 * A dataset source that cannot be read as what its spec says: a file of the wrong layout, a digest
 * that does not match, or a size beyond the {@link DataLimits}. The message names the file and,
 * where there is one, the spec field ({@code data.source.*}) to change.
 */
public class DatasetFormatException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public DatasetFormatException(String message) {
    super(message);
  }

  public DatasetFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
