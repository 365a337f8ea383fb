package io.qatfleet.core.train;

import java.util.List;

/** What a training phase did: mean loss per epoch, throughput and time. */
public record FitResult(List<Double> epochLosses, double samplesPerSecond, double seconds) {
  public FitResult {
    epochLosses = List.copyOf(epochLosses);
  }

  public double finalLoss() {
    return epochLosses.isEmpty() ? Double.NaN : epochLosses.get(epochLosses.size() - 1);
  }
}
