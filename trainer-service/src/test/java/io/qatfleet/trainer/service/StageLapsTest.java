package io.qatfleet.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class StageLapsTest {

  /** A clock that reads the given nanosecond values in turn. */
  private static LongSupplier ticks(long... nanos) {
    Deque<Long> left = new ArrayDeque<>();
    for (long n : nanos) {
      left.add(n);
    }
    return left::remove;
  }

  @Test
  void describesEachLapSinceThePreviousOne() {
    // start at 1 s; laps end at 1.25 s, 3.75 s and 3.8 s
    StageLaps laps =
        new StageLaps(ticks(1_000_000_000L, 1_250_000_000L, 3_750_000_000L, 3_800_000_000L));

    laps.lap("fetch");
    laps.lap("observers");
    laps.lap("put");

    assertThat(laps.describe())
        .isEqualTo("fetch 0.250 s, observers 2.500 s, put 0.050 s; total 2.800 s");
  }

  @Test
  void addsUpARepeatedLapUnderItsFirstPlace() {
    // fetch 0.1 s, decode 0.2 s, fetch again 0.3 s
    StageLaps laps = new StageLaps(ticks(0L, 100_000_000L, 300_000_000L, 600_000_000L));

    for (String name : List.of("fetch", "decode", "fetch")) {
      laps.lap(name);
    }

    assertThat(laps.nanos("fetch")).isEqualTo(400_000_000L);
    assertThat(laps.nanos("decode")).isEqualTo(200_000_000L);
    assertThat(laps.describe()).isEqualTo("fetch 0.400 s, decode 0.200 s; total 0.600 s");
  }

  @Test
  void describesNoLapsAsTheTotalAlone() {
    StageLaps laps = new StageLaps(ticks(5L));

    assertThat(laps.nanos("put")).isZero();
    assertThat(laps.describe()).isEqualTo("total 0.000 s");
  }
}
