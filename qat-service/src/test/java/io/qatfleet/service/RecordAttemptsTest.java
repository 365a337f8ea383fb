package io.qatfleet.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The on-disk attempt counts that let a restarted service recognise a poison pill. */
class RecordAttemptsTest {

  @TempDir Path dir;

  @Test
  void keepsCountsAcrossInstancesAsAfterARestart() {
    RecordAttempts before = new RecordAttempts(dir.resolve("attempts"));
    before.begin("qat.train", 3, 17L);
    before.begin("qat.train", 3, 17L);

    RecordAttempts after = new RecordAttempts(dir.resolve("attempts"));
    assertThat(after.count("qat.train", 3, 17L)).isEqualTo(2);
    assertThat(after.begin("qat.train", 3, 17L)).isEqualTo(3);
  }

  @Test
  void keysCountsByTopicPartitionAndOffset() {
    RecordAttempts attempts = new RecordAttempts(dir);
    attempts.begin("qat.train", 3, 17L);

    assertThat(attempts.count("qat.train", 3, 18L)).isZero();
    assertThat(attempts.count("qat.train", 4, 17L)).isZero();
    assertThat(attempts.count("qat.quantize", 3, 17L)).isZero();
    assertThat(dir.resolve("qat.train-3-17")).hasContent("1");
  }

  @Test
  void forgetsAFinishedRecord() {
    RecordAttempts attempts = new RecordAttempts(dir);
    attempts.begin("qat.validate", 0, 5L);
    attempts.clear("qat.validate", 0, 5L);

    assertThat(attempts.count("qat.validate", 0, 5L)).isZero();
    assertThat(dir.resolve("qat.validate-0-5")).doesNotExist();
  }

  @Test
  void removesTheEntryWhenSetToZero() {
    RecordAttempts attempts = new RecordAttempts(dir);
    attempts.set("qat.jobs", 1, 9L, 2);
    attempts.set("qat.jobs", 1, 9L, 0);

    assertThat(dir.resolve("qat.jobs-1-9")).doesNotExist();
  }

  @Test
  void countsATornFileAsOneAttempt() throws Exception {
    Files.writeString(dir.resolve("qat.jobs-0-1"), "");

    assertThat(new RecordAttempts(dir).count("qat.jobs", 0, 1L)).isEqualTo(1);
  }

  @Test
  void leavesNoTemporaryFileBehind() throws Exception {
    RecordAttempts attempts = new RecordAttempts(dir);
    attempts.begin("qat.jobs", 0, 1L);

    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("qat.jobs-0-1");
    }
  }

  @Test
  void rejectsATopicNameThatIsNotOne() {
    assertThatThrownBy(() -> new RecordAttempts(dir).begin("../etc", 0, 1L))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("../etc");
  }
}
