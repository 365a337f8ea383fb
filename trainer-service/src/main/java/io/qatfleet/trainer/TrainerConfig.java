package io.qatfleet.trainer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * The trainer's own settings, beside the fleet's ({@code io.qatfleet.service.FleetConfig}) ({@code
 * qat.*} in {@code application.properties} or the environment, e.g. {@code QAT_STATE_DIR}). Kafka
 * client settings live under {@code kafka.*} and {@code mp.messaging.*}.
 */
@ConfigMapping(prefix = "qat")
public interface TrainerConfig {

  /**
   * At most this many progress {@code StatusUpdate}s per epoch (plus one at each epoch's end), so
   * that a long epoch stays visible without flooding {@code qat.status}.
   */
  @WithDefault("4")
  int statusUpdatesPerEpoch();

  /**
   * How long a retraining trigger waits for its model to appear in this instance's copy of the
   * registry ({@code qat.models}, read from the start at boot) before it is rejected as unknown.
   */
  @WithDefault("10s")
  Duration registryWait();

  /**
   * How long a trainer's lease on the round it trains lasts unless renewed (it is renewed every
   * third of this): how long a round whose trainer died waits before another trainer takes it over
   * ({@code RoundLeases}).
   */
  @WithDefault("60s")
  Duration roundLease();

  /** Status and decision events kept per job in the in-memory job view ({@code GET /jobs}). */
  @WithDefault("200")
  int jobHistoryLimit();

  /** Who owns jobs and model names ({@code qat.auth.*}; the token itself: {@code mp.jwt.*}). */
  Auth auth();

  /** Ownership settings of the job API. */
  interface Auth {

    /**
     * The token claim that names the owner of the jobs and model names a caller submits: {@code
     * sub} (each person owns their own), or a string claim naming a group or team, so that its
     * members share their models and see each other's jobs.
     */
    @WithDefault("sub")
    String ownerClaim();

    /**
     * How long {@code POST /jobs} waits for its claim of a new model name to come back from {@code
     * qat.owners} (which tells whether it was the first) before answering 503.
     */
    @WithDefault("10s")
    Duration claimWait();
  }
}
