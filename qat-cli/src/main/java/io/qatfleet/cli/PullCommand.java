package io.qatfleet.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qatfleet.core.BuildInfo;
import io.qatfleet.core.checkpoint.Checkpoint;
import io.qatfleet.core.checkpoint.CheckpointCodec;
import io.qatfleet.core.checkpoint.CheckpointException;
import io.qatfleet.core.json.Json;
import io.qatfleet.core.onnx.OnnxExporter;
import io.qatfleet.messaging.approval.ApprovalSignature;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.checkpoint.CheckpointStore;
import io.qatfleet.messaging.checkpoint.CheckpointTransportException;
import io.qatfleet.messaging.checkpoint.RetainedCheckpointStore;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.kafka.KafkaClientSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code qat pull <model>[:version] -o DIR}: downloads an approved integer checkpoint and, where
 * the approval names one, its ONNX export. The approval is verified first ({@link Approvals}, as
 * {@code qat verify}); the files come from {@code qat.checkpoints.approved}, where the validator
 * keeps them, or {@code qat.checkpoints} for approvals older than that topic ({@link
 * RetainedCheckpointStore}), and must have the approved SHA-256 and size. Writes {@code
 * <sha256>.safetensors}, {@code model.onnx} (the file ONNX Runtime ran in validation) and {@code
 * <sha256>.model-card.json}: the spec, metrics, thresholds and where they came from, the
 * checkpoint's provenance (job, round, dataset, code version), both digests, and the signature with
 * its key id and the canonical form it signs, so the card can be checked again without the fleet.
 */
@Command(
    name = "pull",
    mixinStandardHelpOptions = true,
    description =
        "Download an approved model (ONNX file and integer checkpoint) and its model card,"
            + " signature checked.")
final class PullCommand extends FleetCommand {
  static final Duration CHECKPOINT_TIMEOUT = Duration.ofMinutes(2);

  /** Suffix of the model card beside {@code <sha256>.safetensors}. */
  static final String CARD_SUFFIX = ".model-card.json";

  /** Name of the approved ONNX file in the output directory. */
  static final String ONNX_FILE = "model.onnx";

  @Parameters(
      index = "0",
      paramLabel = "MODEL[:VERSION]",
      description = "The model's name, and the version (default: the registry's latest).")
  String model;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "DIR",
      description = "Where the files go (default: the current directory).")
  Path output = Path.of(".");

  @Mixin FleetOptions.Kafka kafka;

  @Mixin FleetOptions.ApprovalKey key;

  @Override
  int run(PrintWriter out) throws InterruptedException, IOException {
    Approvals.Ref ref = Approvals.Ref.parse(model);
    ApprovalSignature verifier = key.verifier();
    KafkaClientSettings clients = kafka.settings();
    KafkaAccess.requireReachable(clients);
    Approvals.Selected selected = Approvals.select(Approvals.read(clients), ref, verifier);
    selected.warnings().forEach(w -> err().println("qat pull: warning: " + w));
    ModelApproved approval = selected.approval();
    CheckpointRef integer = approval.checkpoint();

    byte[] bytes;
    byte[] onnx = null;
    try (RetainedCheckpointStore store = RetainedCheckpointStore.of(clients)) {
      bytes = fetch(store, integer, "checkpoint");
      if (approval.onnxModel() != null) {
        onnx = fetch(store, approval.onnxModel(), "ONNX model");
      }
    }
    Checkpoint checkpoint;
    try {
      checkpoint = new CheckpointCodec().decode(bytes, integer.sha256());
    } catch (CheckpointException e) {
      throw new CliFailure(
          "checkpoint " + integer.sha256() + " does not decode: " + e.getMessage());
    }

    Files.createDirectories(output);
    Path file = output.resolve(integer.sha256() + CheckpointCodec.FILE_SUFFIX);
    Path card = output.resolve(integer.sha256() + CARD_SUFFIX);
    writeAtomically(file, bytes);
    Path onnxFile = onnx == null ? null : output.resolve(ONNX_FILE);
    if (onnx != null) {
      writeAtomically(onnxFile, onnx);
    }
    writeAtomically(
        card,
        Json.MAPPER
            .writerWithDefaultPrettyPrinter()
            .writeValueAsBytes(modelCard(approval, checkpoint, file.getFileName().toString())));
    out.println(
        "pulled "
            + approval.modelName()
            + " v"
            + approval.version()
            + " (signed by key "
            + approval.keyId()
            + "): "
            + (onnxFile == null ? "" : onnxFile + ", ")
            + file
            + ", "
            + card);
    return 0;
  }

  /** The bytes of {@code ref}, with the approved digest and size. */
  private static byte[] fetch(CheckpointStore store, CheckpointRef ref, String what) {
    byte[] bytes;
    try {
      bytes = store.get(ref, CHECKPOINT_TIMEOUT);
    } catch (CheckpointTransportException e) {
      throw new CliFailure(
          "cannot fetch " + what + " " + ref.sha256() + ": " + e.reason() + ": " + e.getMessage());
    }
    CheckpointRef received = CheckpointRef.of(bytes);
    if (!received.equals(ref)) {
      throw new CliFailure(
          what
              + " "
              + ref.sha256()
              + " arrived as "
              + received.sha256()
              + " ("
              + received.bytes()
              + " bytes); the approval names "
              + ref.bytes()
              + " bytes");
    }
    return bytes;
  }

  /** The model card of a verified approval and its decoded integer checkpoint. */
  static ObjectNode modelCard(ModelApproved a, Checkpoint checkpoint, String fileName) {
    ObjectNode card = Json.MAPPER.createObjectNode();
    card.put("modelName", a.modelName());
    card.put("version", a.version());
    card.put("jobId", a.jobId());
    card.put("round", a.round());
    card.put("approvedAt", a.timestamp().toString());
    ObjectNode integer = card.putObject("checkpoint");
    integer.put("file", fileName);
    integer.put("sha256", a.checkpoint().sha256());
    integer.put("bytes", a.checkpoint().bytes());
    integer.put("kind", checkpoint.kind().name());
    ObjectNode calibrated = card.putObject("calibratedCheckpoint");
    calibrated.put("sha256", a.calibratedCheckpoint().sha256());
    calibrated.put("bytes", a.calibratedCheckpoint().bytes());
    if (a.onnxModel() != null) {
      ObjectNode onnx = card.putObject("onnxModel");
      onnx.put("file", ONNX_FILE);
      onnx.put("sha256", a.onnxModel().sha256());
      onnx.put("bytes", a.onnxModel().bytes());
      onnx.put(
          "format", "ONNX opset " + OnnxExporter.OPSET + ", IR version " + OnnxExporter.IR_VERSION);
      onnx.put(
          "input",
          OnnxExporter.INPUT
              + ": uint8 [N,C,H,W], raw pixel bytes, channels as planes (k means k/255)");
      onnx.put("output", OnnxExporter.OUTPUT + ": float32 [N,classes]");
    }
    card.set("spec", Json.MAPPER.valueToTree(a.spec()));
    card.put("specSha256", ApprovalSignature.specDigest(a.spec()));
    card.set("metrics", Json.MAPPER.valueToTree(a.metrics()));
    card.set("thresholds", Json.MAPPER.valueToTree(a.thresholds()));
    card.set("thresholdSource", Json.MAPPER.valueToTree(a.thresholdSource()));
    card.put("codeVersion", checkpoint.provenance().codeVersion());
    card.set("provenance", Json.MAPPER.valueToTree(checkpoint.provenance()));
    ObjectNode signature = card.putObject("signature");
    signature.put("algorithm", ApprovalSignature.ALGORITHM);
    signature.put("keyId", a.keyId());
    signature.put("value", a.signature());
    signature.put(
        "statement",
        a.onnxModel() == null ? ApprovalSignature.STATEMENT : ApprovalSignature.STATEMENT_V2);
    signature.put("canonicalForm", ApprovalSignature.canonicalForm(a));
    card.put("pulledWith", BuildInfo.codeVersion());
    return card;
  }

  private static void writeAtomically(Path target, byte[] content) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".part");
    Files.write(tmp, content);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
