package io.qatfleet.bench;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.file.Path;
import java.util.List;

/**
 * One measured model of the quality benchmark, as a line of the results file (JSON Lines). Our
 * runner and the PyTorch peer ({@code bench/pytorch/qat_peer.py}) write the same fields, so one
 * report reads both.
 *
 * @param framework "qat-fleet" or "pytorch"
 * @param method float, ptq_minmax, ste, lsq, lsq_pact, ste_hard (ours) or pytorch_qat, pytorch_lsq
 * @param granularity per_channel or per_tensor; null for float rows
 * @param accuracy test accuracy of the model the row is about (for the peer: the converted integer
 *     model where conversion worked)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record QualityRow(
    String framework,
    String version,
    String dataset,
    String model,
    long seed,
    String method,
    int weightBits,
    int activationBits,
    String granularity,
    double accuracy,
    double macroF1,
    Double fakeQuantAccuracy,
    Double intAccuracy,
    String intError,
    int trainSamples,
    int testSamples,
    int floatEpochs,
    int qatEpochs,
    int batch,
    double seconds) {

  public static final String OURS = "qat-fleet";
  public static final String PYTORCH = "pytorch";
  public static final String FLOAT = "float";

  public boolean isFloat() {
    return FLOAT.equals(method);
  }

  /** Rows of the same framework, dataset, model and seed share one float baseline. */
  public String group() {
    return framework + "/" + dataset + "/" + model + "/" + seed;
  }

  /** Reads a results file; a missing file is empty, a bad line is an error naming the line. */
  public static List<QualityRow> read(Path file) {
    return JsonLines.read(file, QualityRow.class);
  }

  /** Appends this row as one line, so an interrupted run keeps what it measured. */
  public void append(Path file) {
    JsonLines.append(file, this);
  }

  /** Rewrites {@code file} with exactly {@code rows}. */
  public static void write(Path file, List<QualityRow> rows) {
    JsonLines.write(file, rows);
  }
}
