package io.qatfleet.trainer.service;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Where a training stage's wall time went, step by step (fetching the start checkpoint, the range
 * observers, training, putting the result, publishing), for the one log line that each stage writes
 * when it ends: the fleet benchmark reports a stage's time beyond its training seconds as a whole,
 * and this line says which step it was. A lap is the time since the previous lap (or since the laps
 * started); steps that repeat (two checkpoints fetched) add up under one name.
 */
final class StageLaps {

  private final LongSupplier nanos;
  private final long start;
  private long last;
  private final List<String> names = new ArrayList<>();
  private final List<Long> spans = new ArrayList<>();

  StageLaps() {
    this(System::nanoTime);
  }

  /** Laps read from {@code nanos}, a monotonic clock in nanoseconds. */
  StageLaps(LongSupplier nanos) {
    this.nanos = nanos;
    this.start = nanos.getAsLong();
    this.last = start;
  }

  /** Ends the lap called {@code name}: the time since the previous lap is added to it. */
  void lap(String name) {
    long now = nanos.getAsLong();
    int i = names.indexOf(name);
    if (i < 0) {
      names.add(name);
      spans.add(now - last);
    } else {
      spans.set(i, spans.get(i) + now - last);
    }
    last = now;
  }

  /** Nanoseconds of lap {@code name}, 0 if it never ended. */
  long nanos(String name) {
    int i = names.indexOf(name);
    return i < 0 ? 0 : spans.get(i);
  }

  /**
   * The laps in the order they first ended, in seconds with millisecond precision, then the total
   * since the start: {@code "fetch 0.041 s, observers 1.208 s, ...; total 47.310 s"}.
   */
  String describe() {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < names.size(); i++) {
      out.append(i == 0 ? "" : ", ")
          .append(names.get(i))
          .append(' ')
          .append(seconds(spans.get(i)))
          .append(" s");
    }
    return out.append(names.isEmpty() ? "" : "; ")
        .append("total ")
        .append(seconds(last - start))
        .append(" s")
        .toString();
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.3f", nanos / 1e9);
  }
}
