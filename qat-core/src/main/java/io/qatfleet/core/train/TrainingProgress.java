package io.qatfleet.core.train;

/**
 * A progress sample of one training phase.
 *
 * @param epoch zero-based epoch
 * @param step steps done in this epoch
 * @param loss mean loss over the epoch so far
 * @param samplesPerSecond training throughput over the epoch so far
 */
public record TrainingProgress(
    int epoch,
    int epochs,
    int step,
    int stepsPerEpoch,
    double loss,
    double samplesPerSecond,
    double learningRate) {}
