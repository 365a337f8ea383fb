package io.qatfleet.core.pipeline;

import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.train.FitResult;

/**
 * The model after a stage, what training did in it (null if it trained nothing), its time, and the
 * process's CPU-seconds over the same span ({@link CpuTime}).
 */
public record StageResult(ModelState state, FitResult fit, double seconds, double cpuSeconds) {}
