package io.qatfleet.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.quant.ModelQuantization;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantizationSpec;
import io.qatfleet.core.train.FitOptions;
import io.qatfleet.core.train.LrSchedule;
import io.qatfleet.core.train.OptimizerKind;
import io.qatfleet.core.train.Trainable;
import io.qatfleet.core.train.Trainer;
import io.qatfleet.core.train.TrainingListener;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Export → load is lossless: a graph trained for two steps is exported, the state is loaded into a
 * fresh graph of the same config, and that graph exports the same bytes for every variable and
 * predicts the same classes. Runs on a tiny CNN with batch norm over 64 random 8×8 images.
 */
class StateRoundTripTest {
  private static final ModelSpec SPEC =
      new ModelSpec(Architecture.CNN, List.of(4), List.of(8), true, 8, 8, 3);
  private static final Dataset DATA = randomImages(64, 17);

  /** One epoch of two batches of 32. */
  private static final FitOptions TWO_STEPS =
      new FitOptions(1, 0, 32, 1e-2, LrSchedule.CONSTANT, 5);

  @Test
  void roundTripsFloatStateBitExactly() {
    ModelGraph.Config config =
        new ModelGraph.Config(SPEC, null, Trainable.WEIGHTS, OptimizerKind.ADAM, 0f, false);
    assertRoundTripIsBitExact(config, ModelInit.initialState(SPEC, 3));
  }

  @Test
  void roundTripsQatStateWithLogStepSizesBitExactly() {
    ModelQuantization q =
        ModelQuantization.of(QuantizationSpec.of(4, 4, QatMethod.LSQ_PACT), SPEC.layerCount());
    ModelState state = ModelInit.initialState(SPEC, 3);
    for (LayerShape l : LayerShape.of(SPEC)) {
      int channels = l.outChannels();
      float[] steps = new float[channels];
      Arrays.fill(steps, 0.02f);
      state = state.with(l.name(ModelGraph.W_SCALE), new long[] {channels}, steps);
      if (l.index() > 0) {
        state = state.with(l.name(ModelGraph.IN_ALPHA), new long[0], new float[] {2.5f});
      }
    }
    ModelGraph.Config config =
        new ModelGraph.Config(SPEC, q, Trainable.ALL, OptimizerKind.ADAM, 0f, false);
    assertRoundTripIsBitExact(config, state);
  }

  private static void assertRoundTripIsBitExact(ModelGraph.Config config, ModelState start) {
    ModelState trained;
    int[] predicted;
    try (ModelGraph g = ModelGraph.build(config, start)) {
      new Trainer(g).fit(DATA, TWO_STEPS, TrainingListener.NONE);
      trained = g.export();
      predicted = g.predict(DATA);
    }
    assertThat(trained.floats("layer0.kernel"))
        .as("training moved the weights")
        .isNotEqualTo(start.floats("layer0.kernel"));
    try (ModelGraph g = ModelGraph.build(config, trained)) {
      ModelState reloaded = g.export();
      assertThat(reloaded.tensors().keySet()).containsExactlyElementsOf(trained.tensors().keySet());
      for (String name : trained.tensors().keySet()) {
        assertThat(reloaded.tensor(name).shape()).as(name).isEqualTo(trained.tensor(name).shape());
        assertThat(reloaded.tensor(name).data()).as(name).isEqualTo(trained.tensor(name).data());
      }
      assertThat(g.predict(DATA)).isEqualTo(predicted);
    }
  }

  private static Dataset randomImages(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] pixels = new byte[n * 64];
    byte[] labels = new byte[n];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) random.nextInt(256);
    }
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) random.nextInt(3);
    }
    return new Dataset("random", 8, 8, 3, pixels, labels);
  }
}
