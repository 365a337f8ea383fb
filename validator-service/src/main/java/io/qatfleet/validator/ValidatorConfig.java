package io.qatfleet.validator;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * The validator's own settings, beside the fleet's ({@code io.qatfleet.service.FleetConfig})
 * ({@code qat.*} in {@code application.properties} or the environment). Kafka client settings live
 * under {@code kafka.*} and {@code mp.messaging.*}.
 */
@ConfigMapping(prefix = "qat")
public interface ValidatorConfig {

  /**
   * Factor by which each retrain round's epoch budget grows over the previous round's: round 1
   * trains {@code training.qatEpochs}, round r+1 trains {@code max(1, factor × epochs of round r)}.
   */
  @WithDefault("2")
  int retrainEpochGrowth();

  /** Upper bound of a retrain round's epoch budget, whatever the growth gives. */
  @WithDefault("1000")
  int retrainMaxEpochs();

  /**
   * Agreement of integer inference with the fake-quant graph below which a validation logs a
   * warning (DESIGN.md asks for at least 99.5 %). It is reported, never part of the decision: the
   * decision follows the job's thresholds only.
   */
  @WithDefault("0.995")
  double agreementWarning();

  /** How long reading the model registry ({@code qat.models}) at start-up may take. */
  @WithDefault("PT30S")
  Duration registryTimeout();
}
