package io.qatfleet.service;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.qatfleet.core.model.TensorFlowThreads;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Resolves the TensorFlow thread pools ({@link TensorFlowThreads}) when a service starts, so that a
 * bad {@code QAT_TF_*_THREADS} setting fails the start with the setting named rather than the first
 * job, and says in the log and on {@value #METRIC} what the sessions will use: the container's CPU
 * limit, or the configured counts.
 */
@ApplicationScoped
public class TensorFlowThreadsAtStart {

  /** Threads of each TensorFlow pool, tagged {@code pool=intra_op|inter_op}. */
  public static final String METRIC = "qat.tensorflow.threads";

  private static final Logger LOG = Logger.getLogger(TensorFlowThreadsAtStart.class);

  void resolve(@Observes StartupEvent event, MeterRegistry registry) {
    TensorFlowThreads threads = TensorFlowThreads.current();
    Gauge.builder(METRIC, threads::intraOp).tag("pool", "intra_op").register(registry);
    Gauge.builder(METRIC, threads::interOp).tag("pool", "inter_op").register(registry);
    LOG.info(threads);
  }
}
