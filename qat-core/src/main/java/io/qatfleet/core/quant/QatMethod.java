package io.qatfleet.core.quant;

/** How quantization parameters are obtained during quantization-aware training. */
public enum QatMethod {
  /** Step sizes fixed by a range observer before QAT; only the weights learn (STE). */
  STE,
  /** LSQ step sizes for weights and activations, learned with the weights (Esser et al. 2019). */
  LSQ,
  /** PACT clipping for activations (Choi et al. 2018) and LSQ step sizes for weights. */
  LSQ_PACT
}
