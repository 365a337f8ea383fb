package io.qatfleet.core.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.qatfleet.core.data.Dataset;
import java.nio.ByteBuffer;
import java.util.Map;

/** Runs an exported model in ONNX Runtime on a dataset, for the tests. */
final class OrtRunner implements AutoCloseable {
  private static final int BATCH = 500;
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;

  OrtRunner(byte[] model) throws OrtException {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(2);
      session = env.createSession(model, options);
    }
  }

  /** Logits of every sample. */
  float[][] logits(Dataset data) throws OrtException {
    int per = data.pixelsPerImage();
    float[][] out = new float[data.size()][];
    for (int from = 0; from < data.size(); from += BATCH) {
      int n = Math.min(BATCH, data.size() - from);
      ByteBuffer batch = ByteBuffer.allocateDirect(n * per);
      batch.put(data.planarPixels(from, n)).flip();
      try (OnnxTensor t =
              OnnxTensor.createTensor(env, batch, data.planarShape(n), OnnxJavaType.UINT8);
          OrtSession.Result r = session.run(Map.of(OnnxExporter.INPUT, t))) {
        float[][] logits = (float[][]) r.get(0).getValue();
        System.arraycopy(logits, 0, out, from, n);
      }
    }
    return out;
  }

  ai.onnxruntime.OnnxModelMetadata metadata() throws OrtException {
    return session.getMetadata();
  }

  int[] predict(Dataset data) throws OrtException {
    return argmax(logits(data));
  }

  /**
   * Runs the integer model of {@code model} in both forms, the requantizing one (as exported) and
   * the general one ({@code QuantizeLinear} at every weight layer); prints how many samples have
   * bit-identical logits and returns the requantizing form's predictions and the general form's.
   */
  static int[][] predictBothForms(io.qatfleet.core.infer.QuantizedModel model, Dataset data)
      throws OrtException {
    float[][] requantizing;
    float[][] general;
    try (OrtRunner r = new OrtRunner(OnnxExporter.exportQuantized(model, Map.of()))) {
      requantizing = r.logits(data);
    }
    try (OrtRunner r = new OrtRunner(OnnxExporter.exportQuantized(model, Map.of(), false))) {
      general = r.logits(data);
    }
    int identical = 0;
    for (int i = 0; i < general.length; i++) {
      identical += java.util.Arrays.equals(requantizing[i], general[i]) ? 1 : 0;
    }
    System.out.printf(
        "ORT requantizing vs general form: identical logits on %d of %d samples%n",
        identical, general.length);
    return new int[][] {argmax(requantizing), argmax(general)};
  }

  static int[] argmax(float[][] logits) {
    int[] out = new int[logits.length];
    for (int i = 0; i < logits.length; i++) {
      int best = 0;
      for (int c = 1; c < logits[i].length; c++) {
        if (logits[i][c] > logits[i][best]) {
          best = c;
        }
      }
      out[i] = best;
    }
    return out;
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
