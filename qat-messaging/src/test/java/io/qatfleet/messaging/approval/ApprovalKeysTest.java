package io.qatfleet.messaging.approval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PublicKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The approval key files: written and read back, OpenSSL's format, and bad files named. */
class ApprovalKeysTest {

  /**
   * Written by {@code openssl genpkey -algorithm ed25519 | openssl pkey -pubout}; its key id is
   * {@code openssl pkey -pubin -outform DER | sha256sum}, first 16 hex digits.
   */
  private static final String OPENSSL_PUBLIC_KEY =
      """
      -----BEGIN PUBLIC KEY-----
      MCowBQYDK2VwAyEAPQpb3y+0ADSmwflXtIrHkGhk7S8VyNsdx5eN5SaUgDQ=
      -----END PUBLIC KEY-----
      """;

  @TempDir Path dir;

  @Test
  void readsBackGeneratedPairAsOneSigner() throws Exception {
    KeyPair pair = ApprovalKeys.generateInto(dir);

    ApprovalSignature signer =
        ApprovalKeys.signer(
            dir.resolve(ApprovalKeys.PRIVATE_KEY_FILE), dir.resolve(ApprovalKeys.PUBLIC_KEY_FILE));

    assertThat(signer.keyId()).isEqualTo(ApprovalSignature.keyId(pair.getPublic()));
    assertThat(Files.readString(dir.resolve(ApprovalKeys.PUBLIC_KEY_FILE)))
        .startsWith("-----BEGIN PUBLIC KEY-----\n")
        .isEqualTo(ApprovalKeys.pem(pair.getPublic()));
    if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
      assertThat(
              PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(dir.resolve(ApprovalKeys.PRIVATE_KEY_FILE))))
          .isEqualTo("rw-------");
    }
  }

  @Test
  void neverOverwritesKey() throws Exception {
    ApprovalKeys.generateInto(dir);
    assertThatThrownBy(() -> ApprovalKeys.generateInto(dir))
        .isInstanceOf(FileAlreadyExistsException.class);
  }

  @Test
  void readsOpenSslPublicKeyWithItsKeyId() {
    PublicKey key = ApprovalKeys.parsePublic(OPENSSL_PUBLIC_KEY, "openssl");
    assertThat(ApprovalSignature.keyId(key)).isEqualTo("5bece3703f4946ad");
  }

  @Test
  void namesFileWithoutPublicKey() throws Exception {
    Path file = dir.resolve("key.pem");
    Files.writeString(file, "not a key");
    assertThatThrownBy(() -> ApprovalKeys.readPublic(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("BEGIN PUBLIC KEY");
  }

  @Test
  void namesFileHoldingThePrivateKeyWhereThePublicOneBelongs() throws Exception {
    ApprovalKeys.generateInto(dir);
    Path privateFile = dir.resolve(ApprovalKeys.PRIVATE_KEY_FILE);
    assertThatThrownBy(() -> ApprovalKeys.readPublic(privateFile))
        .hasMessageContaining(privateFile.toString());
  }
}
