package io.qatfleet.core.pipeline;

import java.lang.management.ManagementFactory;

/**
 * CPU time of the whole process, every thread counted: TensorFlow trains on its own native thread
 * pool, so the calling thread's CPU time ({@code ThreadMXBean}) would miss most of a stage's work.
 * A stage reads it before and after itself; work that other threads of the process do meanwhile is
 * counted too, which a service that handles one record at a time keeps small.
 */
public final class CpuTime {
  private static final com.sun.management.OperatingSystemMXBean OS =
      ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class);

  private CpuTime() {}

  /** The process's CPU time so far in seconds; NaN where the JVM cannot tell. */
  public static double processSeconds() {
    long nanos = OS == null ? -1 : OS.getProcessCpuTime();
    return nanos < 0 ? Double.NaN : nanos / 1e9;
  }

  /** CPU-seconds since {@code start} (a {@link #processSeconds()} reading). */
  public static double since(double start) {
    return processSeconds() - start;
  }
}
