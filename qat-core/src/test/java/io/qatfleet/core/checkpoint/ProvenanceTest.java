package io.qatfleet.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProvenanceTest {

  @Test
  void rejectsNegativeRound() {
    assertThatThrownBy(() -> new Provenance("job", -1, null, "mnist", "v1", "2025-01-01T00:00:00Z"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("round must be >= 0 but was -1");
  }

  @Test
  void rejectsCreatedAtThatIsNotIso8601() {
    assertThatThrownBy(() -> new Provenance("job", 0, null, "mnist", "v1", "26/11/2025"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("createdAt")
        .hasMessageContaining("26/11/2025");
  }

  @Test
  void rejectsParentThatIsNotSha256() {
    assertThatThrownBy(() -> new Provenance("job", 1, "abc", "mnist", "v1", "2025-01-01T00:00:00Z"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("parentSha256")
        .hasMessageContaining("'abc'");
  }

  @Test
  void rejectsDatasetDigestThatIsNotSha256() {
    assertThatThrownBy(
            () ->
                new Provenance(
                    "job", 0, null, "csv:/t.csv", "v1", "2025-01-01T00:00:00Z", "XYZ", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "datasetSha256 must be 64 lowercase hex digits or null but was 'XYZ'");
  }

  @Test
  void rejectsBlankJobId() {
    assertThatThrownBy(() -> new Provenance(" ", 0, null, "mnist", "v1", "2025-01-01T00:00:00Z"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jobId must not be blank");
  }
}
