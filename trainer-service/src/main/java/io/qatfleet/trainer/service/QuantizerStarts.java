package io.qatfleet.trainer.service;

import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.quant.QuantizationSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The first QAT round's starting state (the float weights with step sizes and clipping values from
 * the range observers), computed by the baseline stage right after float training, while this
 * trainer is alone on its cores; once the baseline's events are out, round 0's post-training
 * quantization and validation run beside round 1 and an observer pass started then competes with
 * them for the CPU (2 to 4 s instead of about 0.6 s on two cores). Kept per process and bounded: a
 * round that finds no entry (another instance, a restart) runs the observers itself, with the same
 * result.
 */
final class QuantizerStarts {
  /** Jobs whose baseline finished and whose first round has not taken its start yet. */
  static final int CAPACITY = 16;

  private record Key(String jobId, String checkpointSha256, QuantizationSpec quantization) {}

  private final Map<Key, ModelState> starts =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, ModelState> eldest) {
          return size() > CAPACITY;
        }
      };

  /** Remembers {@code start}, the state observed for {@code quantization} on that checkpoint. */
  synchronized void put(
      String jobId, String checkpointSha256, QuantizationSpec quantization, ModelState start) {
    starts.put(new Key(jobId, checkpointSha256, quantization), start);
  }

  /** The state put for exactly this job, checkpoint and quantization, removed; else empty. */
  synchronized Optional<ModelState> take(
      String jobId, String checkpointSha256, QuantizationSpec quantization) {
    return Optional.ofNullable(starts.remove(new Key(jobId, checkpointSha256, quantization)));
  }

  synchronized int size() {
    return starts.size();
  }
}
