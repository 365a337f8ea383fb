package io.qatfleet.validator.service;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.onnx.OnnxExporter;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.deadletter.RejectionReason;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * An exported model ({@link OnnxExporter}'s interface: uint8 image {@code [N, C, H, W]} in, float
 * logits out) loaded into ONNX Runtime's CPU provider, predicting the classes of a dataset in
 * batches. A file ONNX Runtime cannot load, or whose interface is not the exporter's, is rejected
 * input ({@link RejectionReason#CORRUPT_CHECKPOINT}) with ONNX Runtime's reason.
 */
final class OnnxRuntimeModel implements AutoCloseable {
  private static final int BATCH = 1000;

  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;

  private OnnxRuntimeModel(OrtSession session) {
    this.session = session;
  }

  /**
   * Loads {@code model}; {@code threads} intra-op threads, 0 for one per CPU this process may use
   * ({@link Runtime#availableProcessors()}, which honours the container's CPU limit; ONNX Runtime's
   * own default counts the host's cores and would oversubscribe a CPU-limited pod).
   *
   * @throws RejectedInputException if ONNX Runtime cannot load it or it lacks the input {@value
   *     OnnxExporter#INPUT} and the output {@value OnnxExporter#OUTPUT}
   */
  static OnnxRuntimeModel load(byte[] model, int threads, String what) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession session;
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(
          threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
      session = env.createSession(model, options);
    } catch (OrtException e) {
      throw new RejectedInputException(
          RejectionReason.CORRUPT_CHECKPOINT,
          what + " cannot be loaded by ONNX Runtime: " + e.getMessage(),
          e);
    }
    if (!session.getInputNames().contains(OnnxExporter.INPUT)
        || !session.getOutputNames().contains(OnnxExporter.OUTPUT)) {
      String found = "inputs " + session.getInputNames() + ", outputs " + session.getOutputNames();
      close(session);
      throw new RejectedInputException(
          RejectionReason.CORRUPT_CHECKPOINT,
          what
              + " is not a qat-fleet export: expected input '"
              + OnnxExporter.INPUT
              + "' and output '"
              + OnnxExporter.OUTPUT
              + "', found "
              + found);
    }
    return new OnnxRuntimeModel(session);
  }

  /** The predicted class of every sample of {@code data}. */
  int[] predict(Dataset data) {
    int per = data.pixelsPerImage();
    int[] out = new int[data.size()];
    for (int from = 0; from < data.size(); from += BATCH) {
      int n = Math.min(BATCH, data.size() - from);
      ByteBuffer batch = ByteBuffer.allocateDirect(n * per);
      batch.put(data.planarPixels(from, n)).flip();
      try (OnnxTensor t =
              OnnxTensor.createTensor(env, batch, data.planarShape(n), OnnxJavaType.UINT8);
          OrtSession.Result r = session.run(Map.of(OnnxExporter.INPUT, t))) {
        float[][] logits = (float[][]) r.get(OnnxExporter.OUTPUT).orElseThrow().getValue();
        for (int i = 0; i < n; i++) {
          out[from + i] = argmax(logits[i]);
        }
      } catch (OrtException | RuntimeException e) {
        throw new RejectedInputException(
            RejectionReason.CORRUPT_CHECKPOINT,
            "ONNX Runtime failed to run the model on "
                + data.name()
                + " (images "
                + data.rows()
                + "x"
                + data.cols()
                + "): "
                + e.getMessage(),
            e);
      }
    }
    return out;
  }

  private static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  @Override
  public void close() {
    close(session);
  }

  private static void close(OrtSession session) {
    try {
      session.close();
    } catch (OrtException e) {
      // nothing to release beyond what close already tried
    }
  }
}
