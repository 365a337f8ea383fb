package io.qatfleet.validator.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.qatfleet.core.json.Json;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.stage.StageLedger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The validator's memory of each job, on top of the {@link StageLedger} under {@code
 * qat.state-dir}: stage {@value #BASELINE} at round 0 holds the float baseline's metrics, stage
 * {@value #VALIDATION} at round r holds that round's {@link RoundResult}, both as JSON. An entry
 * exists exactly when the stage has finished and its outcome was acknowledged by the broker, so its
 * presence is also what makes a redelivered event a duplicate.
 */
public final class JobRecords {

  public static final String BASELINE = "baseline";
  public static final String VALIDATION = "validation";

  private final StageLedger ledger;

  public JobRecords(StageLedger ledger) {
    this.ledger = ledger;
  }

  /**
   * The float baseline's metrics, checkpoint, and confusion matrix on the test split (rows = true
   * class); an entry written before the matrix was kept reads back with an empty one.
   */
  public record Baseline(
      Map<String, Double> metrics, CheckpointRef checkpoint, List<List<Integer>> confusion) {
    public Baseline {
      confusion = confusion == null ? List.of() : confusion;
    }
  }

  public boolean hasBaseline(String jobId) {
    return ledger.isDone(jobId, 0, BASELINE);
  }

  public Optional<Baseline> baseline(String jobId) {
    return ledger.outcome(jobId, 0, BASELINE).map(json -> read(json, Baseline.class));
  }

  public void saveBaseline(String jobId, Baseline baseline) {
    ledger.markDone(jobId, 0, BASELINE, write(baseline));
  }

  public boolean isValidated(String jobId, int round) {
    return ledger.isDone(jobId, round, VALIDATION);
  }

  public void saveRound(String jobId, RoundResult result) {
    ledger.markDone(jobId, result.round(), VALIDATION, write(result));
  }

  /** The recorded results of rounds 0 to {@code upToRound} of the job, in round order. */
  public List<RoundResult> rounds(String jobId, int upToRound) {
    List<RoundResult> out = new ArrayList<>();
    for (int r = 0; r <= upToRound; r++) {
      ledger
          .outcome(jobId, r, VALIDATION)
          .map(json -> read(json, RoundResult.class))
          .ifPresent(out::add);
    }
    return out;
  }

  private static String write(Object value) {
    try {
      return Json.MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value.getClass().getSimpleName(), e);
    }
  }

  private static <T> T read(String json, Class<T> type) {
    try {
      return Json.MAPPER.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "stage ledger entry is not a valid " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }
}
