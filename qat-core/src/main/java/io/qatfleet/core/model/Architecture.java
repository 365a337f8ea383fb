package io.qatfleet.core.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/** The model families qat-core can build: presets that expand to layer graphs, or a graph. */
public enum Architecture {
  /** Fully connected layers with ReLU between them. */
  MLP,
  /** 3×3 convolutions, each followed by ReLU and 2×2 max pooling, then dense layers. */
  CNN,
  /** LeNet-5: 5×5 convolutions with ReLU and 2×2 average pooling, dense 120-84-classes. */
  @JsonProperty("lenet5")
  LENET5,
  /** A CIFAR-style ResNet-8: a stem and three basic blocks (16, 32, 64 channels). */
  @JsonProperty("resnet8")
  RESNET8,
  /** Depthwise-separable blocks with batch norm and ReLU6, as in MobileNet v1. */
  @JsonProperty("mobilenet-tiny")
  MOBILENET_TINY,
  /** The spec's own {@code layers}. */
  @JsonProperty("graph")
  GRAPH;

  /** The name a user writes: {@code cnn}, {@code mobilenet-tiny}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The architecture labelled {@code text} (any case; '_' for '-' too). */
  public static Architecture parse(String text) {
    for (Architecture a : values()) {
      if (a.label().equalsIgnoreCase(text.replace('_', '-'))) {
        return a;
      }
    }
    throw new IllegalArgumentException(
        "unknown architecture \""
            + text
            + "\", expected one of cnn, mlp, lenet5, resnet8, mobilenet-tiny, graph");
  }
}
