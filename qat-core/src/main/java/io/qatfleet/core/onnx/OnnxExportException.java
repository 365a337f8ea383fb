package io.qatfleet.core.onnx;

/** A model or checkpoint that cannot be exported to ONNX, with the reason. */
public final class OnnxExportException extends RuntimeException {
  public OnnxExportException(String message) {
    super(message);
  }

  public OnnxExportException(String message, Throwable cause) {
    super(message, cause);
  }
}
