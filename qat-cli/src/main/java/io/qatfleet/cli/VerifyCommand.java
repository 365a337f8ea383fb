package io.qatfleet.cli;

import io.qatfleet.messaging.approval.ApprovalSignature;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code qat verify <model>[:version]}: finds the approval on {@code qat.models} / {@code
 * qat.deploy} ({@link Approvals}) and verifies the validator's signature on it. Exit 0 with one
 * line naming the model, version, job, integer checkpoint digest, ONNX model digest (where the
 * approval names one) and key id; exit 1 with the reason when the approval is unknown, unsigned,
 * forged or altered.
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description =
        "Check the validator's signature on a model's approval (the latest, or MODEL:VERSION).")
final class VerifyCommand extends FleetCommand {
  @Parameters(
      index = "0",
      paramLabel = "MODEL[:VERSION]",
      description = "The model's name, and the version (default: the registry's latest).")
  String model;

  @Mixin FleetOptions.Kafka kafka;

  @Mixin FleetOptions.ApprovalKey key;

  @Override
  int run(PrintWriter out) throws InterruptedException {
    Approvals.Ref ref = Approvals.Ref.parse(model);
    ApprovalSignature verifier = key.verifier();
    KafkaClientSettings clients = kafka.settings();
    KafkaAccess.requireReachable(clients);
    Approvals.Selected selected = Approvals.select(Approvals.read(clients), ref, verifier);
    selected.warnings().forEach(w -> err().println("qat verify: warning: " + w));
    out.println(okLine(selected.approval()));
    return 0;
  }

  /** The one line of a verified approval. */
  static String okLine(ModelApproved a) {
    return "OK "
        + a.modelName()
        + " v"
        + a.version()
        + " job "
        + a.jobId()
        + " checkpoint "
        + a.checkpoint().sha256()
        + (a.onnxModel() == null ? "" : " onnx " + a.onnxModel().sha256())
        + " key "
        + a.keyId();
  }
}
