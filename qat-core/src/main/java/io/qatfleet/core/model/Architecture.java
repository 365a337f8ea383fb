package io.qatfleet.core.model;

/** The model families qat-core can build. */
public enum Architecture {
  /** Fully connected layers with ReLU between them. */
  MLP,
  /** 3×3 convolutions, each followed by ReLU and 2×2 max pooling, then dense layers. */
  CNN
}
