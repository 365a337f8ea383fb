package io.qatfleet.core.train;

import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.model.ModelGraph;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;

/**
 * The training loop over a {@link ModelGraph}: consumes a dataset and {@link FitOptions}, runs one
 * optimizer step per shuffled batch at the scheduled learning rate, and produces a {@link
 * FitResult} (mean loss per epoch, throughput). Along the way it reports progress and every epoch's
 * end to a {@link TrainingListener}, stops with a {@link NonFiniteLossException} on the first NaN
 * or infinite loss or trained variable (checked every few steps), and after every step projects the
 * kernels onto the integer grid when the graph was built with {@code hardProjection}.
 *
 * <p>Epoch {@code e} visits the samples in {@link BatchFeeder#shuffled} order seeded by {@code seed
 * · 1000003 + e}, so a phase resumed at a later epoch sees the same batches as an uninterrupted
 * one.
 */
public final class Trainer {
  private static final long PROGRESS_INTERVAL_NANOS = 1_000_000_000L;
  private static final long EPOCH_SEED_MULTIPLIER = 1_000_003L;

  /**
   * Steps between checks that the trained variables are finite (also an epoch's first and last
   * step, so no epoch's checkpoint holds a NaN): a NaN weight need not reach the loss.
   */
  static final int VARIABLE_CHECK_INTERVAL = 16;

  private final ModelGraph graph;

  public Trainer(ModelGraph graph) {
    this.graph = graph;
  }

  /** Trains the variables selected by the graph's {@link Trainable} on {@code data}. */
  public FitResult fit(Dataset data, FitOptions options, TrainingListener listener) {
    if (!graph.trains()) {
      throw new IllegalStateException(
          "this graph has no variables to train (trainable=" + graph.config().trainable() + ")");
    }
    int n = data.size();
    int batch = Math.min(options.batchSize(), n);
    int steps = (n + batch - 1) / batch;
    long totalSteps = (long) steps * options.epochs();
    BatchFeeder feeder = new BatchFeeder(data, graph.config().model(), batch);
    boolean project = graph.config().hardProjection();
    List<Double> epochLosses = new ArrayList<>();
    long phaseStart = System.nanoTime();
    long trainedSamples = 0;
    for (int epoch = options.startEpoch(); epoch < options.epochs(); epoch++) {
      int[] order = BatchFeeder.shuffled(n, options.seed() * EPOCH_SEED_MULTIPLIER + epoch);
      double lossSum = 0;
      long epochStart = System.nanoTime();
      long lastReport = epochStart;
      double rate = options.learningRate();
      for (int step = 0; step < steps; step++) {
        listener.beforeStep(epoch, step);
        int from = step * batch;
        int to = Math.min(n, from + batch);
        rate =
            options.learningRate()
                * options.schedule().factor((long) epoch * steps + step, totalSteps);
        float stepLoss;
        try (BatchFeeder.Batch b = feeder.batch(order, from, to)) {
          stepLoss = graph.trainStep(b.images(), b.labels(), (float) rate);
        }
        boolean checkVariables = step % VARIABLE_CHECK_INTERVAL == 0 || step == steps - 1;
        if (!Float.isFinite(stepLoss) || (checkVariables && !graph.trainedVariablesFinite())) {
          throw new NonFiniteLossException(stepLoss, !Float.isFinite(stepLoss), epoch, step, rate);
        }
        if (project) {
          graph.projectKernels();
        }
        lossSum += stepLoss;
        trainedSamples += to - from;
        long now = System.nanoTime();
        if (now - lastReport > PROGRESS_INTERVAL_NANOS) {
          lastReport = now;
          listener.onProgress(
              progress(
                  epoch, options.epochs(), step + 1, steps, lossSum, (long) to, epochStart, rate));
        }
      }
      epochLosses.add(lossSum / steps);
      listener.onEpochEnd(
          progress(epoch, options.epochs(), steps, steps, lossSum, n, epochStart, rate), graph);
    }
    double seconds = (System.nanoTime() - phaseStart) / 1e9;
    return new FitResult(epochLosses, seconds > 0 ? trainedSamples / seconds : 0, seconds);
  }

  private static TrainingProgress progress(
      int epoch,
      int epochs,
      int step,
      int steps,
      double lossSum,
      long samples,
      long start,
      double lr) {
    double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
    return new TrainingProgress(epoch, epochs, step, steps, lossSum / step, samples / seconds, lr);
  }

  /**
   * Kernel time per op type (microseconds, summed over {@code steps} traced training steps on the
   * first batches of {@code data}): where a training step spends its time. Op types come from
   * TensorFlow's timeline labels, so the ops Grappler fuses or inserts are counted as they ran. The
   * steps train the graph like any others.
   */
  public Map<String, Long> profileTrainSteps(Dataset data, int batchSize, int steps, float rate) {
    if (!graph.trains()) {
      throw new IllegalStateException("this graph has no variables to train");
    }
    int batch = Math.min(batchSize, data.size());
    BatchFeeder feeder = new BatchFeeder(data, graph.config().model(), batch);
    int[] order = BatchFeeder.shuffled(data.size(), 1);
    Map<String, Long> micros = new TreeMap<>();
    for (int step = 0; step < steps; step++) {
      int from = (step * batch) % Math.max(1, data.size() - batch + 1);
      RunMetadata metadata;
      try (BatchFeeder.Batch b = feeder.batch(order, from, from + batch)) {
        metadata = graph.traceTrainStep(b.images(), b.labels(), rate);
      }
      for (DeviceStepStats device : metadata.getStepStats().getDevStatsList()) {
        for (NodeExecStats node : device.getNodeStatsList()) {
          micros.merge(
              opType(node.getTimelineLabel(), node.getNodeName()),
              node.getOpEndRelMicros() - node.getOpStartRelMicros(),
              Long::sum);
        }
      }
    }
    return micros;
  }

  /** "name = Type(inputs)" → "Type"; the node name when the label has no type. */
  static String opType(String timelineLabel, String nodeName) {
    int eq = timelineLabel.indexOf(" = ");
    int paren = timelineLabel.indexOf('(', eq + 3);
    return eq >= 0 && paren > eq ? timelineLabel.substring(eq + 3, paren) : nodeName;
  }
}
