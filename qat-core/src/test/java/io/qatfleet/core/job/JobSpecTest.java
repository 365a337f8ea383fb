package io.qatfleet.core.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.core.model.Architecture;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobSpecTest {
  @Test
  void fillsDefaultsForMissingSections() {
    JobSpec spec = JobSpec.fromJson("{\"name\": \"fmnist\"}");
    assertThat(spec.violations()).isEmpty();
    assertThat(spec.model().architecture()).isEqualTo(Architecture.CNN);
    assertThat(spec.quantization().firstLastBits()).isEqualTo(8);
    assertThat(spec.data().dataset()).isEqualTo("fashion-mnist");
  }

  @Test
  void readsEnumsCaseInsensitively() {
    JobSpec spec =
        JobSpec.fromJson(
            "{\"quantization\": {\"method\": \"lsq_pact\", \"weightBits\": 4},"
                + " \"model\": {\"architecture\": \"mlp\"}}");
    assertThat(spec.quantization().method()).isEqualTo(QatMethod.LSQ_PACT);
    assertThat(spec.model().architecture()).isEqualTo(Architecture.MLP);
  }

  @Test
  void rejectsUnknownFieldAsInvalidJson() {
    assertThatThrownBy(() -> JobSpec.fromJson("{\"quantisation\": {}}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("quantisation");
  }

  @Test
  void refusesFractionsAndStringsForNumbersInsteadOfGuessing() {
    String fraction = "{\"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 4.7}]}}";
    String text = "{\"training\": {\"floatEpochs\": \"4\"}}";
    String rate = "{\"training\": {\"learningRate\": \"0.1\"}}";

    assertThatThrownBy(() -> JobSpec.fromJson(fraction))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model.layers[0].units: Cannot coerce");
    assertThatThrownBy(() -> JobSpec.fromJson(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("training.floatEpochs: ");
    assertThatThrownBy(() -> JobSpec.fromJson(rate))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("training.learningRate: ");
  }

  @Test
  void namesEveryBadFieldAtOnce() {
    JobSpec spec =
        JobSpec.fromJson(
            "{\"quantization\": {\"weightBits\": 0, \"activationBits\": 9},"
                + " \"training\": {\"learningRate\": -0.1, \"batchSize\": 0},"
                + " \"data\": {\"dataset\": \"cifar\"}, \"maxRounds\": 0,"
                + " \"thresholds\": {\"accuracy\": {\"maxAbsDrop\": 2}, \"top5\": {\"min\": 0.5}}}");
    List<String> v = spec.violations();
    assertThat(v)
        .anyMatch(s -> s.startsWith("quantization.weightBits") && s.contains("got 0"))
        .anyMatch(s -> s.startsWith("quantization.activationBits") && s.contains("got 9"))
        .anyMatch(s -> s.startsWith("training.learningRate") && s.contains("-0.1"))
        .anyMatch(s -> s.startsWith("training.batchSize"))
        .anyMatch(s -> s.startsWith("data.dataset") && s.contains("cifar"))
        .anyMatch(s -> s.startsWith("maxRounds"))
        .anyMatch(s -> s.startsWith("thresholds.accuracy.maxAbsDrop"))
        .anyMatch(s -> s.startsWith("thresholds.top5"));
    assertThatThrownBy(spec::requireValid)
        .isInstanceOf(InvalidJobSpecException.class)
        .hasMessageContaining("quantization.weightBits");
  }

  @Test
  void refusesALayerListLongerThanAnyModelWithOneMessageAndNoLayersBuilt() {
    // 5 million entries fit the API's 10 MiB body; a layer (or a message) per entry would not fit
    // the trainer's heap.
    int n = 5_000_000;
    String channels = String.join(",", java.util.Collections.nCopies(n, "0"));
    JobSpec spec =
        JobSpec.fromJson(
            "{\"model\": {\"convChannels\": [" + channels + "], \"batchNorm\": true}}");

    assertThat(spec.violations())
        .containsExactly(
            "model: convChannels and denseUnits hold at most 256 entries each, got 5000000 and 1");
  }

  @Test
  void namesNullEntriesInsteadOfCrashing() {
    JobSpec spec =
        JobSpec.fromJson(
            "{\"model\": {\"convChannels\": [null]}, \"thresholds\": {\"accuracy\": null},"
                + " \"quantization\": {\"layers\": {\"1\": null}}}");

    assertThat(spec.violations())
        .containsExactlyInAnyOrder(
            "model.convChannels[0]: must be in 1..1024, got null",
            "quantization.layers.1: must be an object with weightBits and/or activationBits,"
                + " got null",
            "thresholds.accuracy: must not be null");
  }

  @Test
  void resolvesFirstAndLastLayerToEightBits() {
    JobSpec spec =
        JobSpec.fromJson("{\"quantization\": {\"weightBits\": 4, \"activationBits\": 4}}");
    // default CNN: conv, conv, dense, dense → 4 layers
    List<io.qatfleet.core.quant.LayerQuantSpec> layers = spec.quantization().resolve(4);
    assertThat(layers).extracting(l -> l.weights().bits()).containsExactly(8, 4, 4, 8);
    assertThat(layers).extracting(l -> l.input().bits()).containsExactly(8, 4, 4, 8);
    assertThat(layers.get(1).input()).isEqualTo(QuantSpec.unsignedActivations(4));
  }

  @Test
  void appliesPerLayerOverrides() {
    JobSpec spec =
        JobSpec.fromJson(
            "{\"quantization\": {\"weightBits\": 4, \"layers\": {\"2\": {\"weightBits\": 2}}}}");
    assertThat(spec.quantization().resolve(4).get(2).weights().bits()).isEqualTo(2);
  }

  @Test
  void rejectsOverrideOfMissingLayer() {
    JobSpec spec =
        JobSpec.fromJson("{\"quantization\": {\"layers\": {\"7\": {\"weightBits\": 2}}}}");
    assertThat(spec.violations()).anyMatch(s -> s.startsWith("quantization.layers.7"));
  }

  @Test
  void thresholdChecksMinAbsoluteAndRelativeDrop() {
    MetricThreshold t = new MetricThreshold(0.80, 0.01, 0.005);
    assertThat(t.passes(0.905, 0.90)).isTrue(); // better than float
    assertThat(t.passes(0.896, 0.90)).isTrue(); // drop 0.004, relative 0.0044
    assertThat(t.passes(0.894, 0.90)).isFalse(); // relative drop 0.0067 > 0.005
    assertThat(t.passes(0.79, 0.79)).isFalse(); // below min
  }

  @Test
  void warnsAboutOneBitLayers() {
    JobSpec binary = JobSpec.fromJson("{\"quantization\": {\"weightBits\": 1}}");
    assertThat(binary.violations()).isEmpty();
    assertThat(binary.warnings()).hasSize(2).allMatch(w -> w.contains("1 bit"));
    assertThat(JobSpec.fromJson("{}").warnings()).isEmpty();
  }

  @Test
  void roundTripsThroughJson() {
    JobSpec spec = JobSpec.fromJson("{\"name\": \"m1\", \"quantization\": {\"weightBits\": 3}}");
    assertThat(JobSpec.fromJson(spec.toJson())).isEqualTo(spec);
  }

  @Test
  void rejectsSixtyFourConvLayersWithoutOverflow() {
    // 1 << 64 is 1 in Java: 64 pools must not pass as "a multiple of 1".
    String channels = String.join(",", java.util.Collections.nCopies(64, "8"));
    JobSpec spec = JobSpec.fromJson("{\"model\": {\"convChannels\": [" + channels + "]}}");

    assertThat(spec.violations())
        .contains(
            "model.convChannels: at most 30 conv layers (each halves the input with a 2x2 pool),"
                + " got 64");
  }

  @Test
  void rejectsThirtyTwoConvLayersWithoutOverflow() {
    String channels = String.join(",", java.util.Collections.nCopies(32, "8"));
    JobSpec spec = JobSpec.fromJson("{\"model\": {\"convChannels\": [" + channels + "]}}");

    assertThat(spec.violations()).anyMatch(v -> v.startsWith("model.convChannels: at most 30"));
  }

  @Test
  void rejectsThreeConvLayersOnTwentyEightPixels() {
    // 28 is not a multiple of 2^3
    JobSpec spec = JobSpec.fromJson("{\"model\": {\"convChannels\": [8, 8, 8]}}");

    assertThat(spec.violations()).anyMatch(v -> v.startsWith("model.inputHeight: must be a"));
  }

  @Test
  void rejectsClassCountOtherThanDatasets() {
    JobSpec spec = JobSpec.fromJson("{\"model\": {\"numClasses\": 100}}");

    assertThat(spec.violations())
        .contains("model.numClasses: must be the 10 classes of Fashion-MNIST, got 100");
  }

  @Test
  void rejectsInputShapeOtherThanDatasets() {
    JobSpec spec =
        JobSpec.fromJson(
            "{\"data\": {\"dataset\": \"mnist\"},"
                + " \"model\": {\"inputHeight\": 32, \"inputWidth\": 32}}");

    assertThat(spec.violations())
        .contains(
            "model.inputHeight x model.inputWidth: must be the 28x28 images of MNIST, got 32x32");
  }

  @Test
  void rejectsTrainLimitBeyondDataset() {
    JobSpec spec = JobSpec.fromJson("{\"data\": {\"trainLimit\": 60001}}");

    assertThat(spec.violations())
        .contains(
            "data.trainLimit: must be at most the 60000 training images of Fashion-MNIST (0 = all),"
                + " got 60001");
  }

  @Test
  void rejectsNonPositiveDeadline() {
    assertThat(JobSpec.fromJson("{\"deadlineMinutes\": 0}").violations())
        .contains("deadlineMinutes: must be >= 1 (or absent), got 0");
  }

  @Test
  void writesNoDeadlineWhenAbsent() {
    assertThat(JobSpec.fromJson("{}").toJson()).doesNotContain("deadlineMinutes");
  }

  @Test
  void roundTripsDeadline() {
    JobSpec spec = JobSpec.fromJson("{\"deadlineMinutes\": 90}");

    assertThat(JobSpec.fromJson(spec.toJson()).deadlineMinutes()).isEqualTo(90);
  }

  @Test
  void readsAutoWeightBitsWithBudgetAndWritesThemBack() {
    JobSpec spec =
        JobSpec.fromJson(
            "{\"quantization\": {\"weightBits\": \"auto\", \"maxBits\": 8,"
                + " \"budget\": {\"sizeKiB\": 300}}}");
    assertThat(spec.violations()).isEmpty();
    assertThat(spec.quantization().autoBits()).isTrue();
    assertThat(spec.warnings()).isEmpty();
    assertThat(spec.toJson()).contains("\"weightBits\":\"auto\"").contains("\"sizeKiB\":300.0");
    assertThat(JobSpec.fromJson(spec.toJson())).isEqualTo(spec);
  }

  @Test
  void rejectsWeightBitsThatAreNeitherNumberNorAuto() {
    assertThatThrownBy(() -> JobSpec.fromJson("{\"quantization\": {\"weightBits\": \"many\"}}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("weightBits")
        .hasMessageContaining("auto");
  }

  @Test
  void requiresBudgetForAutoBits() {
    JobSpec spec = JobSpec.fromJson("{\"quantization\": {\"weightBits\": \"auto\"}}");
    assertThat(spec.violations()).anyMatch(s -> s.startsWith("quantization.budget: required"));
  }

  @Test
  void namesBadMaxBitsAndBudgetFields() {
    JobSpec spec =
        JobSpec.fromJson(
            "{\"quantization\": {\"weightBits\": 4, \"maxBits\": 3,"
                + " \"budget\": {\"sizeKiB\": -1, \"bitOps\": 0}}}");
    assertThat(spec.violations())
        .anyMatch(s -> s.startsWith("quantization.maxBits: must be >= weightBits 4, got 3"))
        .anyMatch(s -> s.startsWith("quantization.budget.sizeKiB: must be finite and > 0"))
        .anyMatch(s -> s.startsWith("quantization.budget.bitOps: must be finite and > 0"));
    assertThat(JobSpec.fromJson("{\"quantization\": {\"maxBits\": 9}}").violations())
        .anyMatch(s -> s.startsWith("quantization.maxBits: must be in 1..8, got 9"));
    assertThat(JobSpec.fromJson("{\"quantization\": {\"budget\": {}}}").violations())
        .anyMatch(s -> s.startsWith("quantization.budget: needs sizeKiB and/or bitOps"));
  }

  @Test
  void rejectsBudgetInfeasibleBeforeTraining() {
    // The default CNN (conv32-conv64-dense128-dense10) has 288 + 18432 + 401408 + 1280 = 421408
    // weights and 32 + 64 + 128 + 10 = 234 int32 biases: at 2 bits everywhere 105352 + 936 bytes,
    // 103.80 KiB; 100 KiB cannot be met.
    JobSpec auto =
        JobSpec.fromJson(
            "{\"quantization\": {\"weightBits\": \"auto\", \"budget\": {\"sizeKiB\": 100}}}");
    assertThat(auto.violations())
        .anyMatch(
            s -> s.startsWith("quantization.budget.sizeKiB: infeasible") && s.contains("103.80"));
    assertThat(
            JobSpec.fromJson(
                    "{\"quantization\": {\"weightBits\": \"auto\", \"budget\": {\"sizeKiB\": 104}}}")
                .violations())
        .isEmpty();
    // Fixed bits: 4-bit weights inside, 8-bit first and last layer: (288 + 1280) * 8 + (18432 +
    // 401408) * 4 bits = 211488 bytes of weights, 207.45 KiB with the biases.
    JobSpec fixed =
        JobSpec.fromJson("{\"quantization\": {\"weightBits\": 4, \"budget\": {\"sizeKiB\": 200}}}");
    assertThat(fixed.violations())
        .anyMatch(
            s -> s.startsWith("quantization.budget.sizeKiB: infeasible") && s.contains("207.45"));
  }

  @Test
  void readsDistillationAndStrategyAndLeavesThemOffByDefault() {
    JobSpec spec =
        JobSpec.fromJson(
            "{\"strategy\": \"ptq_first\","
                + " \"training\": {\"distillation\": {\"alpha\": 0.3, \"temperature\": 2}}}");
    assertThat(spec.ptqFirst()).isTrue();
    assertThat(spec.training().distillation().alpha()).isEqualTo(0.3);
    assertThat(spec.training().distillation().temperature()).isEqualTo(2.0);
    assertThat(JobSpec.fromJson(spec.toJson())).isEqualTo(spec);
    JobSpec plain = JobSpec.fromJson("{}");
    assertThat(plain.ptqFirst()).isFalse();
    assertThat(plain.training().distillation()).isNull();
    assertThat(plain.toJson()).doesNotContain("strategy").doesNotContain("distillation");
  }

  @Test
  void namesBadDistillationFields() {
    assertThat(
            JobSpec.fromJson(
                    "{\"training\": {\"distillation\": {\"alpha\": -0.1, \"temperature\": 0}}}")
                .violations())
        .containsExactly(
            "training.distillation.alpha: must be in [0, 1], got -0.1",
            "training.distillation.temperature: must be in (0, 100.0], got 0.0");
  }
}
