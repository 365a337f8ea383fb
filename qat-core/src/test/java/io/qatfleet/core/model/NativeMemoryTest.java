package io.qatfleet.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.data.DatasetId;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.DatasetSplits;
import io.qatfleet.core.data.SplitSpec;
import io.qatfleet.core.quant.ModelQuantization;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.FitOptions;
import io.qatfleet.core.train.LrSchedule;
import io.qatfleet.core.train.OptimizerKind;
import io.qatfleet.core.train.Trainable;
import io.qatfleet.core.train.Trainer;
import io.qatfleet.core.train.TrainingListener;
import io.qatfleet.core.train.TrainingProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A 10-epoch QAT run must not grow the process's resident memory epoch over epoch: every per-step
 * tensor and result is closed. Reads VmRSS from /proc (Linux).
 */
class NativeMemoryTest {
  private static final long ALLOWED_GROWTH_BYTES = 32L << 20;

  @Test
  void tenEpochQatRunDoesNotGrowResidentMemory() throws IOException {
    DatasetSplits data =
        DatasetLoader.fromEnvironment()
            .load(DatasetId.FASHION_MNIST, new SplitSpec(500, 2000, 200, 3));
    ModelSpec spec = ModelSpec.mlp();
    ModelQuantization q =
        ModelQuantization.of(QuantizationSpec.of(4, 4, QatMethod.LSQ_PACT), spec.layerCount());
    ModelState state = ModelInit.initialState(spec, 3);
    for (String name : List.of("layer0", "layer1", "layer2")) {
      int channels = (int) state.tensor(name + ".kernel").shape()[1];
      state = state.with(name + ".w_scale", new long[] {channels}, filled(channels, 0.01f));
      if (!name.equals("layer0")) {
        state = state.with(name + ".in_alpha", new long[0], new float[] {4f});
      }
    }
    List<Long> rss = new ArrayList<>();
    ModelGraph.Config config =
        new ModelGraph.Config(spec, q, Trainable.ALL, OptimizerKind.ADAM, 0.9f, false);
    try (ModelGraph graph = ModelGraph.build(config, state)) {
      Trainer trainer = new Trainer(graph);
      trainer.fit(
          data.train(),
          new FitOptions(10, 0, 32, 1e-3, LrSchedule.CONSTANT, 3),
          new TrainingListener() {
            @Override
            public void onEpochEnd(TrainingProgress progress, ModelGraph g) {
              g.export();
              // The Java heap's garbage would touch fresh heap pages and grow RSS by ~3 MB an
              // epoch (seen in a full suite's JVM); collected, the heap reuses its own pages. The
              // collection frees no tensor: qat-core's tests run with JavaCPP's pointer GC off.
              System.gc();
              rss.add(residentBytes());
            }
          });
    }
    // Allocators and the JIT settle during the first epochs; from the third on, the 63 steps of
    // each epoch allocate ~4 tensors each, so a leak shows as steady growth.
    long growth = rss.get(9) - rss.get(2);
    assertThat(growth).as("RSS per epoch end (bytes): %s", rss).isLessThan(ALLOWED_GROWTH_BYTES);
  }

  private static float[] filled(int n, float v) {
    float[] out = new float[n];
    java.util.Arrays.fill(out, v);
    return out;
  }

  private static long residentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/self/status", e);
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
