package io.qatfleet.core.checkpoint;

/**
 * What a checkpoint's tensors are: float weights from the trainer (possibly with quantizer
 * parameters learned jointly), or weights projected onto the integer grid by the quantizer, which
 * must carry their quantization parameters.
 */
public enum CheckpointKind {
  FLOAT,
  QUANTIZED
}
