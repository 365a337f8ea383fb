package io.qatfleet.quantizer.service;

import io.qatfleet.messaging.checkpoint.CheckpointRef;
import java.util.Map;

/**
 * What one quantization produced: the stored integer checkpoint, the stored calibrated float
 * checkpoint, and the numbers that go into {@code QuantizedModelReady.calibrationMetrics}.
 */
public record QuantizeResult(
    CheckpointRef integer,
    CheckpointRef calibrated,
    Map<String, Double> metrics,
    CheckpointRef onnxModel) {

  public QuantizeResult {
    metrics = Map.copyOf(metrics);
  }
}
