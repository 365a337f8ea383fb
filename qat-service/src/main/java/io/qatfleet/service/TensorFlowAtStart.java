package io.qatfleet.service;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.qatfleet.core.model.TensorFlowThreads;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.function.Supplier;
import org.jboss.logging.Logger;
import org.tensorflow.TensorFlow;

/**
 * Readies TensorFlow when a service starts, so that what would break every job breaks the start
 * instead, with the cause named:
 *
 * <ul>
 *   <li>loads TensorFlow's native library. A service that cannot load it (a missing native jar, a C
 *       library too old, a cache directory it may not write) would otherwise fail each job's first
 *       TensorFlow call with an {@link Error}, which is no record's fault: the work channel stopped
 *       and the job waited, with neither a dead letter nor a failed status. A start that fails is
 *       seen: {@code qat up} names the service with its log's tail, and Kubernetes shows the pod
 *       crash-looping with the message;
 *   <li>resolves the thread pools ({@link TensorFlowThreads}), so that a bad {@code
 *       QAT_TF_*_THREADS} setting fails the start with the setting named, and says in the log and
 *       on {@value #METRIC} what the sessions will use: the container's CPU limit, or the
 *       configured counts.
 * </ul>
 */
@ApplicationScoped
public class TensorFlowAtStart {

  /** Threads of each TensorFlow pool, tagged {@code pool=intra_op|inter_op}. */
  public static final String METRIC = "qat.tensorflow.threads";

  private static final Logger LOG = Logger.getLogger(TensorFlowAtStart.class);

  void ready(@Observes StartupEvent event, MeterRegistry registry) {
    long t0 = System.nanoTime();
    String version = loadNativeLibrary(TensorFlow::version);
    LOG.infof("TensorFlow %s loaded in %.1f s", version, (System.nanoTime() - t0) / 1e9);
    TensorFlowThreads threads = TensorFlowThreads.current();
    Gauge.builder(METRIC, threads::intraOp).tag("pool", "intra_op").register(registry);
    Gauge.builder(METRIC, threads::interOp).tag("pool", "inter_op").register(registry);
    LOG.info(threads);
  }

  /**
   * Calls {@code version}, TensorFlow's first native call (it loads the library), and returns its
   * answer.
   *
   * @throws IllegalStateException naming the cause when the library cannot be loaded
   */
  static String loadNativeLibrary(Supplier<String> version) {
    try {
      return version.get();
    } catch (LinkageError e) {
      throw new IllegalStateException(
          "TensorFlow's native library cannot be loaded ("
              + e
              + "); this service cannot train or evaluate a model. Check that"
              + " tensorflow-core-native's linux-x86_64 jar is on the class path (in the"
              + " service image: /opt/tensorflow/lib and java.library.path) and that JavaCPP"
              + " may write its cache directory (org.bytedeco.javacpp.cachedir, ~/.javacpp/cache)",
          e);
    }
  }
}
