package io.qatfleet.cli.fleet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.lang.JoseException;

/**
 * The key pair and token of a fleet run on this machine, in one directory ({@code qat.auth.dir},
 * else {@code QAT_AUTH_DIR}, else {@code ~/.cache/qat-fleet/auth}): {@value #PRIVATE_KEY} (RSA
 * 2048, PKCS#8, readable by its owner only) signs tokens (RS256, issuer {@value #ISSUER}); {@value
 * #PUBLIC_KEY} is what a trainer verifies them against (its default {@code
 * mp.jwt.verify.publickey.location}); {@value #TOKEN} is the token the CLI sends when none is given
 * ({@code --token}, {@code QAT_TOKEN}). The key pair is created on first use and kept; a second
 * process creating it at the same moment waits for the first (a file lock), so both use one pair.
 */
public final class LocalAuth {

  /**
   * The {@code iss} of every token minted here; the trainer's default {@code mp.jwt.verify.issuer}.
   */
  public static final String ISSUER = "qat-fleet";

  /** The role of a token that submits jobs and sees its own (the trainer's {@code Roles}). */
  public static final String SUBMITTER = "submitter";

  /** How long a minted token is valid unless told otherwise. */
  public static final Duration DEFAULT_LIFETIME = Duration.ofHours(24);

  static final String PRIVATE_KEY = "privateKey.pem";
  static final String PUBLIC_KEY = "publicKey.pem";
  static final String TOKEN = "token";
  private static final String LOCK = ".lock";
  private static final int RSA_BITS = 2048;

  private final Path dir;

  public LocalAuth(Path dir) {
    this.dir = dir;
  }

  /** The directory of this machine's key pair and token. */
  public static LocalAuth local() {
    return new LocalAuth(cacheDir("qat.auth.dir", "QAT_AUTH_DIR", "auth"));
  }

  /**
   * A directory of this machine's fleet: the system property {@code property}, else the environment
   * variable {@code env}, else {@code ~/.cache/qat-fleet/<name>}; absolute.
   */
  static Path cacheDir(String property, String env, String name) {
    String configured = System.getProperty(property, System.getenv(env));
    Path dir =
        configured != null && !configured.isBlank()
            ? Path.of(configured)
            : Path.of(System.getProperty("user.home"), ".cache", "qat-fleet", name);
    return dir.toAbsolutePath();
  }

  /** Who "I" am for a token minted without {@code --subject}: the operating system's user. */
  public static String localUser() {
    return System.getProperty("user.name", "qat");
  }

  public Path dir() {
    return dir;
  }

  public Path publicKeyFile() {
    return dir.resolve(PUBLIC_KEY);
  }

  public Path tokenFile() {
    return dir.resolve(TOKEN);
  }

  /**
   * Creates the key pair unless it exists.
   *
   * @return whether it was created now
   */
  public boolean ensureKeyPair() {
    try {
      Files.createDirectories(dir);
      try (FileChannel lockFile =
              FileChannel.open(
                  dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock lock = lockFile.lock()) {
        if (Files.isRegularFile(dir.resolve(PRIVATE_KEY))
            && Files.isRegularFile(dir.resolve(PUBLIC_KEY))) {
          return false;
        }
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(RSA_BITS);
        KeyPair pair = rsa.generateKeyPair();
        write(PUBLIC_KEY, pem("PUBLIC KEY", pair.getPublic().getEncoded()), false);
        write(PRIVATE_KEY, pem("PRIVATE KEY", pair.getPrivate().getEncoded()), true);
        return true;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the key pair in " + dir, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make RSA keys", e);
    }
  }

  /**
   * A token for {@code subject} with {@code role} (its {@code groups} claim), valid for {@code
   * lifetime}, signed with this directory's private key (created if missing).
   */
  public String mint(String subject, String role, Duration lifetime) {
    ensureKeyPair();
    JwtClaims claims = new JwtClaims();
    claims.setIssuer(ISSUER);
    claims.setSubject(subject);
    claims.setClaim("upn", subject);
    claims.setStringListClaim("groups", role);
    claims.setIssuedAtToNow();
    claims.setExpirationTime(
        NumericDate.fromSeconds(Instant.now().plus(lifetime).getEpochSecond()));
    claims.setGeneratedJwtId();
    JsonWebSignature jws = new JsonWebSignature();
    jws.setHeader("typ", "JWT");
    jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
    jws.setPayload(claims.toJson());
    jws.setKey(privateKey());
    try {
      return jws.getCompactSerialization();
    } catch (JoseException e) {
      throw new IllegalStateException("cannot sign a token with " + dir.resolve(PRIVATE_KEY), e);
    }
  }

  /** Keeps {@code token} as the one the CLI sends by default. */
  public void saveToken(String token) {
    try {
      Files.createDirectories(dir);
      write(TOKEN, token + "\n", true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + tokenFile(), e);
    }
  }

  /** The token kept by {@link #saveToken}, if there is one. */
  public Optional<String> savedToken() {
    Path file = tokenFile();
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      String token = Files.readString(file, StandardCharsets.US_ASCII).strip();
      return token.isEmpty() ? Optional.empty() : Optional.of(token);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private PrivateKey privateKey() {
    Path file = dir.resolve(PRIVATE_KEY);
    try {
      String pem = Files.readString(file, StandardCharsets.US_ASCII);
      String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
      return KeyFactory.getInstance("RSA")
          .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException(file + " is not an RSA private key (PKCS#8 PEM)", e);
    }
  }

  /**
   * Writes {@code name} whole or not at all: readable by its owner only where {@code secret}, by
   * everyone otherwise (a public key mounted into a container that runs as another user).
   */
  private void write(String name, String text, boolean secret) throws IOException {
    Path tmp = Files.createTempFile(dir, name, ".tmp");
    try {
      if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        Files.setPosixFilePermissions(
            tmp, PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--"));
      }
      Files.writeString(tmp, text, StandardCharsets.US_ASCII);
      Files.move(
          tmp,
          dir.resolve(name),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static String pem(String type, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }
}
