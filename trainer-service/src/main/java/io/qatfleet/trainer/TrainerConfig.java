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

  /**
   * Ended jobs (approved, failed, cancelled) the in-memory job view keeps, the most recently ended
   * ones; jobs still running are always kept. {@code GET /jobs/{id}} of an older one answers 404.
   */
  @WithDefault("1000")
  int jobViewEndedJobs();

  /**
   * The most a job may cost ({@code qat.budget.*}), checked by {@code POST /jobs} (400 naming the
   * cap) and again by the trainer before it allocates anything for a job from {@code qat.jobs} or a
   * round from {@code qat.train} (dead letter {@code OVER_BUDGET}).
   */
  Budget budget();

  /** Caps on a job's cost; each violation names its key. Defaults: {@code JobBudget.DEFAULTS}. */
  interface Budget {

    /** Weights, biases and batch-norm values of the model, computed from the spec. */
    @WithDefault("10000000")
    long maxParameters();

    /** Forward-pass FLOPs of one sample (a multiply-add counts two). */
    @WithDefault("200000000")
    long maxFlopsPerSample();

    /** Hidden layers: conv layers plus hidden dense layers. */
    @WithDefault("16")
    int maxLayers();

    /** Epochs of each phase (float, QAT, calibration) and of any one QAT round. */
    @WithDefault("100")
    int maxEpochs();

    /** QAT rounds a job may ask for. */
    @WithDefault("10")
    int maxRounds();

    /** Samples per training step. */
    @WithDefault("4096")
    int maxBatchSize();

    /** Training images per epoch, after the calibration split is held out. */
    @WithDefault("60000")
    int maxTrainSamples();

    /** Test images evaluated. */
    @WithDefault("10000")
    int maxTestSamples();

    /**
     * The longest deadline a job may ask for ({@code deadlineMinutes}), and the deadline of a job
     * that asks for none: 24 hours.
     */
    @WithDefault("1440")
    int maxDeadlineMinutes();

    /**
     * Decoded bytes of a dataset by reference (images × values, train and test): 1 GiB. The other
     * services read the same key from the environment ({@code DataLimits.fromEnvironment}).
     */
    @WithDefault("1073741824")
    long maxDatasetBytes();

    /** Bytes of the files a dataset by reference reads: 4 GiB. */
    @WithDefault("4294967296")
    long maxSourceBytes();

    /** Pixels of one image of an image folder, checked from its header before decoding. */
    @WithDefault("16777216")
    long maxImagePixels();

    /** Columns of a CSV dataset, label included. */
    @WithDefault("65536")
    int maxCsvColumns();

    /**
     * Data checks of datasets by reference that {@code POST /jobs} runs at once in this process
     * (each may read, hash or download up to {@link #maxSourceBytes()} on a request thread); one
     * per owner at a time besides.
     */
    @WithDefault("2")
    int maxConcurrentSourceChecks();
  }

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
