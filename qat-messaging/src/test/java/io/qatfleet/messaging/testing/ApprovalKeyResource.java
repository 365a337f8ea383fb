package io.qatfleet.messaging.testing;

import io.qatfleet.messaging.approval.ApprovalKeys;
import io.qatfleet.messaging.approval.ApprovalSignature;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The approval key pair of a module's tests, generated once under {@code target/} and kept between
 * runs: {@code @QuarkusTestResource(ApprovalKeyResource.class)} points {@code
 * qat.approval.public-key-file} at its public key, and with the init argument {@value #SIGNER}
 * {@code =true} (the validator) {@code qat.approval.private-key-file} at its private key. Tests
 * sign genuine approvals with {@link #signer()}.
 */
public final class ApprovalKeyResource implements QuarkusTestResourceLifecycleManager {

  /** Init argument: also configure the private key. */
  public static final String SIGNER = "signer";

  private static final Path DIR = Path.of("target", "test-approval-key").toAbsolutePath();

  private boolean withPrivateKey;

  @Override
  public void init(Map<String, String> initArgs) {
    withPrivateKey = Boolean.parseBoolean(initArgs.get(SIGNER));
  }

  @Override
  public Map<String, String> start() {
    Map<String, String> config = new HashMap<>();
    config.put("qat.approval.public-key-file", publicKeyFile().toString());
    if (withPrivateKey) {
      config.put("qat.approval.private-key-file", privateKeyFile().toString());
    }
    return config;
  }

  @Override
  public void stop() {
    // The key files stay: the next test class, and the next run, use the same pair.
  }

  /** The public key file, generating the pair first if needed. */
  public static synchronized Path publicKeyFile() {
    ensurePair();
    return DIR.resolve(ApprovalKeys.PUBLIC_KEY_FILE);
  }

  public static synchronized Path privateKeyFile() {
    ensurePair();
    return DIR.resolve(ApprovalKeys.PRIVATE_KEY_FILE);
  }

  /** Signs as the validator under test does. */
  public static ApprovalSignature signer() {
    try {
      return ApprovalKeys.signer(privateKeyFile(), publicKeyFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void ensurePair() {
    if (Files.exists(DIR.resolve(ApprovalKeys.PUBLIC_KEY_FILE))
        && Files.exists(DIR.resolve(ApprovalKeys.PRIVATE_KEY_FILE))) {
      return;
    }
    try {
      Files.deleteIfExists(DIR.resolve(ApprovalKeys.PUBLIC_KEY_FILE));
      Files.deleteIfExists(DIR.resolve(ApprovalKeys.PRIVATE_KEY_FILE));
      ApprovalKeys.generateInto(DIR);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot generate the tests' approval key in " + DIR, e);
    }
  }
}
