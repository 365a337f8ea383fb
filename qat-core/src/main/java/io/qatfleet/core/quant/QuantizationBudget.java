package io.qatfleet.core.quant;

import java.util.ArrayList;
import java.util.List;

/**
 * What a quantized model may cost, either bound optional but not both absent. Size counts every
 * weight at its nominal bit width plus int32 biases (the information content, as mixed-precision
 * papers count it; the checkpoint stores 3-bit levels in 4-bit fields); bit-operations count each
 * multiply-accumulate of one sample's forward pass as weight bits × input bits.
 *
 * @param sizeKiB most KiB of weights and biases
 * @param bitOps most bit-operations per sample
 */
public record QuantizationBudget(Double sizeKiB, Double bitOps) {

  /** Every problem, each naming {@code field}'s sub-field; empty when valid. */
  public List<String> violations(String field) {
    List<String> out = new ArrayList<>();
    if (sizeKiB == null && bitOps == null) {
      out.add(field + ": needs sizeKiB and/or bitOps");
    }
    if (sizeKiB != null && !(sizeKiB > 0 && Double.isFinite(sizeKiB))) {
      out.add(field + ".sizeKiB: must be finite and > 0, got " + sizeKiB);
    }
    if (bitOps != null && !(bitOps > 0 && Double.isFinite(bitOps))) {
      out.add(field + ".bitOps: must be finite and > 0, got " + bitOps);
    }
    return out;
  }

  /** Whether a model of {@code bytes} and {@code ops} bit-operations fits. */
  public boolean admits(double bytes, double ops) {
    return (sizeKiB == null || bytes / 1024.0 <= sizeKiB) && (bitOps == null || ops <= bitOps);
  }
}
