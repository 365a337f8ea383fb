package io.qatfleet.core.data;

/**
 * An IDX file that cannot be what it claims to be: wrong magic number, fewer bytes than its
 * dimensions declare, or images and labels that do not pair up. The message names the file.
 */
public class IdxFormatException extends DatasetFormatException {

  private static final long serialVersionUID = 1L;

  public IdxFormatException(String message) {
    super(message);
  }

  public IdxFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
