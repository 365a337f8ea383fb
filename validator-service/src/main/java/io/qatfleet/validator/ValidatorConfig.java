package io.qatfleet.validator;

import io.qatfleet.validator.service.DecisionPolicy;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The validator's own settings, beside the fleet's ({@code io.qatfleet.service.FleetConfig})
 * ({@code qat.*} in {@code application.properties} or the environment). Kafka client settings live
 * under {@code kafka.*} and {@code mp.messaging.*}.
 */
@ConfigMapping(prefix = "qat")
public interface ValidatorConfig {

  /**
   * Factor by which a retrain round's epoch budget grows over the failed round's while its loss was
   * still falling (the remedy policy, docs/fleet.md): round 1 trains {@code training.qatEpochs},
   * round r+1 up to {@code factor × epochs of round r}; a round of 0 epochs is followed by {@code
   * max(1, training.qatEpochs)}.
   */
  @WithDefault("2")
  int retrainEpochGrowth();

  /** Upper bound of a retrain round's epoch budget, whatever the growth gives. */
  @WithDefault("1000")
  int retrainMaxEpochs();

  /**
   * Agreement of integer inference with the fake-quant graph below which a validation logs a
   * warning (DESIGN.md asks for at least 99.5 %). It is reported, never part of the decision: the
   * decision follows the job's thresholds (or the default bar) only.
   */
  @WithDefault("0.995")
  double agreementWarning();

  /**
   * Test images the integer engine (the reference) and the fake-quant graph run on when a round
   * comes with its ONNX model ({@code QAT_VALIDATION_REFERENCE_SAMPLES}): the first this many of
   * the test split; 0 means all of them. ONNX Runtime always runs the whole test split, and its
   * metrics are the ones the thresholds judge; the integer engine on a subset keeps the stage fast
   * while still measuring ONNX Runtime's agreement with it.
   */
  @WithName("validation.reference-samples")
  @WithDefault("2000")
  int referenceSamples();

  /**
   * Calibration images each round's per-layer sensitivity is measured on ({@code
   * QAT_VALIDATION_SENSITIVITY_SAMPLES}): one inference pass per layer over this many images, the
   * model float but for that layer. 0 turns the measurement off (reports then carry none).
   */
  @WithName("validation.sensitivity-samples")
  @WithDefault("1000")
  int sensitivitySamples();

  /**
   * ONNX Runtime's intra-op threads ({@code QAT_VALIDATION_ONNX_THREADS}); 0: one per CPU the
   * process may use, the container's CPU limit included.
   */
  @WithName("validation.onnx-threads")
  @WithDefault("0")
  int onnxThreads();

  /** How long reading the model registry ({@code qat.models}) at start-up may take. */
  @WithDefault("PT30S")
  Duration registryTimeout();

  /**
   * The bar of a job whose spec names no threshold ({@code "thresholds": {}}), written as a spec's
   * {@code thresholds} section ({@code QAT_DEFAULT_THRESHOLDS}); validated at start-up, and it must
   * name at least one threshold. Reports and approvals say when it applied ({@code thresholdSource:
   * default}).
   */
  @WithDefault(DecisionPolicy.DEFAULT_THRESHOLDS)
  String defaultThresholds();

  /**
   * The private key the validator signs every approval with, PKCS#8 PEM ({@code
   * QAT_APPROVAL_PRIVATE_KEY_FILE}; in Kubernetes a Secret mounted as a file). Required, with its
   * public key in {@code qat.approval.public-key-file}: the validator does not start without the
   * pair.
   */
  @WithName("approval.private-key-file")
  Optional<Path> approvalPrivateKeyFile();
}
