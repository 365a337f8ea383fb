package io.qatfleet.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.qatfleet.core.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local key pair and tokens: created once and kept, the private key readable by its owner only,
 * and a minted token an RS256 JWT that verifies with the public key file (checked here with the JDK
 * alone, independently of the library that signed it) and carries issuer, subject, role and expiry.
 */
class LocalAuthTest {
  @TempDir Path dir;

  @Test
  void createsKeyPairOnceAndKeepsIt() throws Exception {
    LocalAuth auth = new LocalAuth(dir);

    assertThat(auth.ensureKeyPair()).isTrue();
    String publicKey = Files.readString(auth.publicKeyFile());
    assertThat(auth.ensureKeyPair()).isFalse();

    assertThat(Files.readString(auth.publicKeyFile())).isEqualTo(publicKey);
    assertThat(publicKey).startsWith("-----BEGIN PUBLIC KEY-----\n");
    assertThat(Files.getPosixFilePermissions(dir.resolve(LocalAuth.PRIVATE_KEY)))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getPosixFilePermissions(auth.publicKeyFile()))
        .isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
  }

  @Test
  void mintsRs256TokenThatVerifiesWithPublicKey() throws Exception {
    LocalAuth auth = new LocalAuth(dir);
    Instant before = Instant.now();

    String token = auth.mint("alice", "operator", Duration.ofHours(2));

    String[] parts = token.split("\\.");
    assertThat(parts).hasSize(3);
    JsonNode header = json(parts[0]);
    JsonNode claims = json(parts[1]);
    assertThat(header.get("alg").asText()).isEqualTo("RS256");
    assertThat(claims.get("iss").asText()).isEqualTo(LocalAuth.ISSUER);
    assertThat(claims.get("sub").asText()).isEqualTo("alice");
    assertThat(claims.get("groups").toString()).isEqualTo("[\"operator\"]");
    long exp = claims.get("exp").asLong();
    assertThat(exp)
        .isBetween(
            before.plus(Duration.ofHours(2)).getEpochSecond() - 5,
            Instant.now().plus(Duration.ofHours(2)).getEpochSecond() + 5);

    Signature rs256 = Signature.getInstance("SHA256withRSA");
    rs256.initVerify(publicKey(auth.publicKeyFile()));
    rs256.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    assertThat(rs256.verify(Base64.getUrlDecoder().decode(parts[2]))).isTrue();
  }

  @Test
  void keepsSavedToken() {
    LocalAuth auth = new LocalAuth(dir);
    assertThat(auth.savedToken()).isEmpty();

    auth.saveToken("a.b.c");

    assertThat(auth.savedToken()).contains("a.b.c");
  }

  private static JsonNode json(String base64url) throws Exception {
    return Json.MAPPER.readTree(Base64.getUrlDecoder().decode(base64url));
  }

  private static PublicKey publicKey(Path pem) throws Exception {
    String base64 = Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("RSA")
        .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
  }
}
