package io.qatfleet.core.model;

import java.util.Map;
import java.util.Properties;
import org.tensorflow.proto.ConfigProto;

/**
 * How many threads every TensorFlow session of this process runs: intra-op (inside one kernel, e.g.
 * a MatMul) and inter-op (independent kernels side by side).
 *
 * <p>TensorFlow sizes both pools from the cores it sees on the host, not from the container's CPU
 * limit, so a pod limited to 2 CPUs on a 32-core node would start 32 intra-op threads and be
 * throttled by the CFS quota. The JVM already turns the cgroup quota (v1 {@code cfs_quota_us} /
 * {@code cfs_period_us}, v2 {@code cpu.max}) and the CPU set into {@link
 * Runtime#availableProcessors()} (container support, on by default; {@code
 * -XX:ActiveProcessorCount=N} overrides it), so that is the automatic value of both pools.
 * Configuration wins: the system properties {@value #INTRA_PROPERTY} / {@value #INTER_PROPERTY} or
 * the environment variables {@value #INTRA_ENV} / {@value #INTER_ENV} (0 or unset: automatic).
 *
 * @param intraOp intra-op threads, at least 1
 * @param interOp inter-op threads, at least 1
 * @param source where the values came from, for the log line a service prints at start-up
 */
public record TensorFlowThreads(int intraOp, int interOp, String source) {

  public static final String INTRA_PROPERTY = "qat.tf.intra-op-threads";
  public static final String INTER_PROPERTY = "qat.tf.inter-op-threads";
  public static final String INTRA_ENV = "QAT_TF_INTRA_OP_THREADS";
  public static final String INTER_ENV = "QAT_TF_INTER_OP_THREADS";

  /** More threads than this is a typo, not a machine. */
  static final int MAX_THREADS = 1024;

  private static volatile TensorFlowThreads current;

  public TensorFlowThreads {
    requireThreads("intraOp", intraOp);
    requireThreads("interOp", interOp);
  }

  /** The threads of this process's sessions, resolved once from its configuration and CPUs. */
  public static TensorFlowThreads current() {
    TensorFlowThreads threads = current;
    if (threads == null) {
      threads =
          resolve(
              System.getenv(), System.getProperties(), Runtime.getRuntime().availableProcessors());
      current = threads;
    }
    return threads;
  }

  /**
   * The threads for this configuration on a process that may use {@code availableProcessors} CPUs.
   *
   * @throws IllegalArgumentException naming the setting when one is not a whole number in
   *     0..{@value #MAX_THREADS}
   */
  static TensorFlowThreads resolve(
      Map<String, String> env, Properties properties, int availableProcessors) {
    int cpus = Math.max(1, availableProcessors);
    int intra = configured(INTRA_PROPERTY, INTRA_ENV, env, properties);
    int inter = configured(INTER_PROPERTY, INTER_ENV, env, properties);
    String source =
        intra == 0 && inter == 0
            ? "the CPUs this process may use (" + cpus + ", container CPU limit included)"
            : intra != 0 && inter != 0
                ? "configuration"
                : "configuration and the CPUs this process may use (" + cpus + ")";
    return new TensorFlowThreads(intra == 0 ? cpus : intra, inter == 0 ? cpus : inter, source);
  }

  /** The session options that apply these threads. */
  public ConfigProto configProto() {
    return ConfigProto.newBuilder()
        .setIntraOpParallelismThreads(intraOp)
        .setInterOpParallelismThreads(interOp)
        .build();
  }

  @Override
  public String toString() {
    return "TensorFlow threads: intra-op "
        + intraOp
        + ", inter-op "
        + interOp
        + " ("
        + source
        + ")";
  }

  private static int configured(
      String property, String envName, Map<String, String> env, Properties properties) {
    String fromProperty = properties.getProperty(property);
    String name = property;
    String value = fromProperty;
    if (value == null || value.isBlank()) {
      name = envName;
      value = env.get(envName);
    }
    if (value == null || value.isBlank()) {
      return 0;
    }
    int threads;
    try {
      threads = Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          name + ": must be a whole number of threads (0 = automatic), got '" + value + "'");
    }
    if (threads < 0 || threads > MAX_THREADS) {
      throw new IllegalArgumentException(
          name + ": must be in 0.." + MAX_THREADS + " (0 = automatic), got " + threads);
    }
    return threads;
  }

  private static void requireThreads(String field, int threads) {
    if (threads < 1 || threads > MAX_THREADS) {
      throw new IllegalArgumentException(
          field + " must be in 1.." + MAX_THREADS + ", was " + threads);
    }
  }
}
