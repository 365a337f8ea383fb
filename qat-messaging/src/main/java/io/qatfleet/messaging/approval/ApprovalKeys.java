package io.qatfleet.messaging.approval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The approval key pair's files: the validator's private key as PKCS#8 PEM ({@code -----BEGIN
 * PRIVATE KEY-----}), the public key every verifier reads as X.509 PEM ({@code -----BEGIN PUBLIC
 * KEY-----}), the formats {@code openssl genpkey -algorithm ed25519} and {@code openssl pkey
 * -pubout} write. The local fleet generates a pair with {@link #generateInto} when none is
 * configured.
 */
public final class ApprovalKeys {

  /** File name of a generated private key. */
  public static final String PRIVATE_KEY_FILE = "approval-private.pem";

  /** File name of a generated public key. */
  public static final String PUBLIC_KEY_FILE = "approval-public.pem";

  private static final String PRIVATE_LABEL = "PRIVATE KEY";
  private static final String PUBLIC_LABEL = "PUBLIC KEY";
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

  private ApprovalKeys() {}

  /** A fresh Ed25519 key pair. */
  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance(ApprovalSignature.ALGORITHM).generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(ApprovalSignature.ALGORITHM + " is missing from this JVM", e);
    }
  }

  /**
   * Generates a key pair and writes it into {@code dir} as {@value #PRIVATE_KEY_FILE} (readable by
   * its owner only, where the file system has POSIX permissions) and {@value #PUBLIC_KEY_FILE}.
   *
   * @throws FileAlreadyExistsException if either file exists: a key is never overwritten
   */
  public static KeyPair generateInto(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path privateFile = dir.resolve(PRIVATE_KEY_FILE);
    Path publicFile = dir.resolve(PUBLIC_KEY_FILE);
    if (Files.exists(publicFile)) {
      throw new FileAlreadyExistsException(publicFile.toString());
    }
    KeyPair pair = generate();
    if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
      Files.createFile(
          privateFile,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } else {
      Files.createFile(privateFile);
    }
    Files.writeString(privateFile, pem(PRIVATE_LABEL, pair.getPrivate().getEncoded()));
    Files.writeString(publicFile, pem(pair.getPublic()));
    return pair;
  }

  /** {@code key} as X.509 PEM text, as {@code GET /approval-key} serves it. */
  public static String pem(PublicKey key) {
    return pem(PUBLIC_LABEL, key.getEncoded());
  }

  /**
   * The Ed25519 private key in a PKCS#8 PEM file.
   *
   * @throws IllegalArgumentException naming the file if it holds no such key
   */
  public static PrivateKey readPrivate(Path file) throws IOException {
    byte[] der = der(Files.readString(file, StandardCharsets.US_ASCII), PRIVATE_LABEL, file);
    try {
      return KeyFactory.getInstance(ApprovalSignature.ALGORITHM)
          .generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          file + " is not an " + ApprovalSignature.ALGORITHM + " private key: " + e.getMessage(),
          e);
    }
  }

  /**
   * The Ed25519 public key in an X.509 PEM file.
   *
   * @throws IllegalArgumentException naming the file if it holds no such key
   */
  public static PublicKey readPublic(Path file) throws IOException {
    return parsePublic(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
  }

  /**
   * The Ed25519 public key in X.509 PEM text from {@code source} (a file name or URL, for
   * messages).
   *
   * @throws IllegalArgumentException naming the source if the text holds no such key
   */
  public static PublicKey parsePublic(String pemText, String source) {
    byte[] der = der(pemText, PUBLIC_LABEL, source);
    try {
      return KeyFactory.getInstance(ApprovalSignature.ALGORITHM)
          .generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          source + " is not an " + ApprovalSignature.ALGORITHM + " public key: " + e.getMessage(),
          e);
    }
  }

  /** The signer of the key pair in these two files. */
  public static ApprovalSignature signer(Path privateKeyFile, Path publicKeyFile)
      throws IOException {
    return ApprovalSignature.signer(readPrivate(privateKeyFile), readPublic(publicKeyFile));
  }

  /** A verifier trusting the public key in this file. */
  public static ApprovalSignature verifier(Path publicKeyFile) throws IOException {
    return ApprovalSignature.verifier(readPublic(publicKeyFile));
  }

  private static byte[] der(String text, String label, Object source) {
    Matcher m = PEM.matcher(text);
    while (m.find()) {
      if (m.group(1).equals(label)) {
        try {
          return Base64.getMimeDecoder().decode(m.group(2).strip());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(source + ": the " + label + " block is not base64");
        }
      }
    }
    throw new IllegalArgumentException(
        source + " holds no PEM block '-----BEGIN " + label + "-----'");
  }

  private static String pem(String label, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
  }
}
