package io.qatfleet.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.model.ModelState;
import io.qatfleet.core.quant.QatMethod;
import io.qatfleet.core.quant.QuantizationSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuantizerStartsTest {
  private static final QuantizationSpec W4A4 = QuantizationSpec.of(4, 4, QatMethod.LSQ_PACT);
  private static final ModelState START =
      new ModelState(Map.of()).with("layer0.w_scale", new long[] {1}, new float[] {0.01f});

  @Test
  void givesTheStartOnceForExactlyItsJobCheckpointAndBits() {
    QuantizerStarts starts = new QuantizerStarts();
    starts.put("job-1", "aa", W4A4, START);

    assertThat(starts.take("job-2", "aa", W4A4)).isEmpty();
    assertThat(starts.take("job-1", "bb", W4A4)).isEmpty();
    assertThat(starts.take("job-1", "aa", QuantizationSpec.of(8, 8, QatMethod.LSQ_PACT))).isEmpty();
    assertThat(starts.take("job-1", "aa", QuantizationSpec.of(4, 4, QatMethod.LSQ_PACT)))
        .containsSame(START);
    assertThat(starts.take("job-1", "aa", W4A4)).isEmpty();
  }

  @Test
  void keepsOnlyTheNewestStarts() {
    QuantizerStarts starts = new QuantizerStarts();
    for (int i = 0; i <= QuantizerStarts.CAPACITY; i++) {
      starts.put("job-" + i, "aa", W4A4, START);
    }
    assertThat(starts.size()).isEqualTo(QuantizerStarts.CAPACITY);
    assertThat(starts.take("job-0", "aa", W4A4)).isEmpty();
    assertThat(starts.take("job-" + QuantizerStarts.CAPACITY, "aa", W4A4)).containsSame(START);
  }
}
