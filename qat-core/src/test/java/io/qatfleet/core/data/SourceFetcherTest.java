package io.qatfleet.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sources by HTTPS URL against a real HTTPS server of the JDK with a self-signed certificate made
 * by keytool (trusted by the test's client only): a CSV and a zipped image folder are fetched once,
 * verified against the spec's digest and served from the cache afterwards; a wrong digest, a body
 * over the cap and an archive entry leaving its directory are refused and leave nothing behind.
 */
class SourceFetcherTest {

  private static final char[] PASSWORD = "changeit".toCharArray();
  private static final Map<String, byte[]> FILES = new ConcurrentHashMap<>();
  private static final AtomicInteger REQUESTS = new AtomicInteger();
  private static final String STALLING = "/stalling.csv";

  @TempDir static Path keys;
  @TempDir Path downloads;

  private static HttpsServer server;
  private static SSLContext clientTls;

  @BeforeAll
  static void startHttpsServer() throws Exception {
    Path store = keys.resolve("server.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=ip:127.0.0.1",
                "-validity",
                "2",
                "-keystore",
                store.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                "changeit")
            .redirectErrorStream(true)
            .start();
    String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(keytool.waitFor()).as(out).isZero();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, PASSWORD);
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, PASSWORD);
    SSLContext serverTls = SSLContext.getInstance("TLS");
    serverTls.init(kmf.getKeyManagers(), null, null);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    clientTls = SSLContext.getInstance("TLS");
    clientTls.init(null, tmf.getTrustManagers(), null);

    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(serverTls));
    server.setExecutor(Executors.newCachedThreadPool()); // a stalling body blocks no other test
    server.createContext(
        "/",
        exchange -> {
          REQUESTS.incrementAndGet();
          if (exchange.getRequestURI().getPath().equals(STALLING)) {
            // Headers and 10 of 1,000 bytes, then nothing for longer than the fetcher waits.
            exchange.sendResponseHeaders(200, 1000);
            exchange.getResponseBody().write(new byte[10]);
            exchange.getResponseBody().flush();
            try {
              Thread.sleep(5_000);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            exchange.close();
            return;
          }
          byte[] body = FILES.get(exchange.getRequestURI().getPath());
          if (body == null) {
            exchange.sendResponseHeaders(404, -1);
          } else {
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
          }
          exchange.close();
        });
    server.start();
  }

  @AfterAll
  static void stopServer() {
    server.stop(0);
  }

  @AfterEach
  void clearCache() {
    DatasetLoader.clearCache();
  }

  private static String url(String path) {
    return "https://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private DatasetLoader loader(DataLimits limits) {
    return new DatasetLoader(Path.of("/nonexistent"), List.of(), limits)
        .withDownloads(downloads, clientTls);
  }

  private static byte[] zip(Map<String, byte[]> entries) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        out.putNextEntry(new ZipEntry(e.getKey()));
        out.write(e.getValue());
        out.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static byte[] png(int grey) throws Exception {
    BufferedImage image = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setSample(0, 0, 0, grey);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  @Test
  void fetchesCsvOnceAndReadsItFromTheCacheAfterwards() throws Exception {
    byte[] csv = "a,label\n1,0\n2,1\n3,0\n".getBytes(StandardCharsets.UTF_8);
    FILES.put("/table.csv", csv);
    DataSource source =
        new DataSource(SourceFormat.CSV, null, url("/table.csv"), sha256(csv), null);
    assertThat(source.violations("data.source")).isEmpty();
    int before = REQUESTS.get();

    DatasetLoader.Loaded first = loader(DataLimits.DEFAULTS).read(source, new InputShape(1, 1, 1));
    DatasetLoader.clearCache();
    DatasetLoader.Loaded second = loader(DataLimits.DEFAULTS).read(source, new InputShape(1, 1, 1));

    assertThat(REQUESTS.get() - before).isEqualTo(1);
    assertThat(first.train().size() + first.test().size()).isEqualTo(3);
    assertThat(second.train()).isEqualTo(first.train());
    assertThat(first.description().sha256()).isEqualTo(sha256(csv));
    assertThat(Files.readAllBytes(downloads.resolve(sha256(csv)).resolve("data"))).isEqualTo(csv);
  }

  @Test
  void unpacksZippedImageFolder() throws Exception {
    byte[] archive =
        zip(
            Map.of(
                "ant/1.png",
                png(10),
                "ant/2.png",
                png(20),
                "bee/1.png",
                png(30),
                "bee/2.png",
                png(40)));
    FILES.put("/insects.zip", archive);
    DataSource source =
        new DataSource(SourceFormat.IMAGE_FOLDER, null, url("/insects.zip"), sha256(archive), null);
    DatasetLoader.Loaded loaded = loader(DataLimits.DEFAULTS).read(source, new InputShape(2, 2, 1));
    assertThat(loaded.description().classNames()).containsExactly("ant", "bee");
    assertThat(loaded.train().size()).isEqualTo(4);
  }

  @Test
  void refusesBytesWithAnotherDigestAndKeepsNothing() throws Exception {
    FILES.put("/changed.csv", "a,label\n1,0\n2,1\n".getBytes(StandardCharsets.UTF_8));
    DataSource source =
        new DataSource(SourceFormat.CSV, null, url("/changed.csv"), "c".repeat(64), null);
    assertThatThrownBy(() -> loader(DataLimits.DEFAULTS).read(source, new InputShape(1, 1, 1)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageStartingWith("data.source.sha256: ")
        .hasMessageContaining("the spec expects " + "c".repeat(64));
    try (var files = Files.list(downloads.resolve("c".repeat(64)))) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void refusesBodyOverTheSourceByteCap() throws Exception {
    byte[] big = new byte[5000];
    FILES.put("/big.csv", big);
    DataSource source = new DataSource(SourceFormat.CSV, null, url("/big.csv"), sha256(big), null);
    assertThatThrownBy(
            () ->
                loader(new DataLimits(1 << 20, 1000, 1 << 20, 10))
                    .read(source, new InputShape(1, 1, 1)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("5000 exceeds the cap of 1000 (qat.budget.max-source-bytes)");
  }

  @Test
  void givesUpOnABodyThatStopsComingAtTheDeadline() throws Exception {
    String digest = "a".repeat(64);
    SourceFetcher fetcher =
        new SourceFetcher(downloads, DataLimits.DEFAULTS, clientTls, Duration.ofSeconds(1));

    assertThatThrownBy(() -> fetcher.fetch(url(STALLING), digest))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessage(
            "data.source.url: "
                + url(STALLING)
                + " took longer than 1 s to download (10 bytes by then)");
    try (var files = Files.list(downloads.resolve(digest))) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void refusesArchiveEntryThatLeavesItsDirectory() throws Exception {
    byte[] archive = zip(Map.of("../escaped.csv", "a,label\n".getBytes(StandardCharsets.UTF_8)));
    FILES.put("/evil.zip", archive);
    DataSource source =
        new DataSource(SourceFormat.CSV, null, url("/evil.zip"), sha256(archive), null);
    assertThatThrownBy(() -> loader(DataLimits.DEFAULTS).read(source, new InputShape(1, 1, 1)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("archive entry '../escaped.csv' leaves it");
    assertThat(downloads.resolve(sha256(archive)).resolve("escaped.csv")).doesNotExist();
  }

  @Test
  void requiresHttpsAndADigestForAUrl() {
    assertThat(
            new DataSource(SourceFormat.CSV, null, "http://example.org/t.csv", null, null)
                .violations("data.source"))
        .containsExactly(
            "data.source.url: must be an https:// URL with a host, got 'http://example.org/t.csv'",
            "data.source.sha256: required with a url (the SHA-256 of the file it serves)");
  }
}
