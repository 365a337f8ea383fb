package io.qatfleet.core.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.net.ssl.SSLContext;

/**
 * Fetches a dataset named by an HTTPS URL ({@link DataSource#url()}) into a local cache, keyed by
 * the digest the spec requires: {@code <cacheDir>/<sha256>/data} for a file, {@code
 * <cacheDir>/<sha256>/data.d/} for a {@code .zip} archive unpacked (the directory formats need a
 * directory). The body is streamed to a temporary file while its SHA-256 is computed and its size
 * counted against {@link DataLimits#maxSourceBytes()}; only bytes with the required digest are
 * moved into place, so a cache entry is always verified data and a second fetch of the same digest
 * reads no network. Archive entries may not leave the directory ({@code ..}, absolute names) and
 * their unpacked size counts against the same cap. Redirects are followed except from HTTPS to
 * HTTP.
 */
final class SourceFetcher {

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

  /** From the request to the response's headers. */
  private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(60);

  /**
   * The whole download: a server that stops sending, or drips its body a byte at a time, would
   * otherwise hold the thread (a submission's data check runs on a request thread) for as long as
   * it likes. 4 GiB, the default source cap, at 10 MB/s.
   */
  static final Duration DOWNLOAD_DEADLINE = Duration.ofMinutes(7);

  /** Closes a download's body at its deadline, which ends a read blocked on it. */
  private static final ScheduledExecutorService DEADLINES =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "qat-download-deadline");
            t.setDaemon(true);
            return t;
          });

  private static final HexFormat HEX = HexFormat.of();

  private final Path cacheDir;
  private final DataLimits limits;
  private final Duration deadline;
  private final HttpClient client;

  SourceFetcher(Path cacheDir, DataLimits limits, SSLContext ssl) {
    this(cacheDir, limits, ssl, DOWNLOAD_DEADLINE);
  }

  SourceFetcher(Path cacheDir, DataLimits limits, SSLContext ssl, Duration deadline) {
    this.cacheDir = Objects.requireNonNull(cacheDir, "cacheDir must not be null");
    this.limits = limits;
    this.deadline = deadline;
    this.client =
        HttpClient.newBuilder()
            .sslContext(ssl)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(CONNECT_TIMEOUT)
            .build();
  }

  /** The local file or directory holding {@code url}'s content, which must have {@code sha256}. */
  Path fetch(String url, String sha256) {
    Path entry = cacheDir.resolve(sha256);
    boolean archive = URI.create(url).getPath().toLowerCase(java.util.Locale.ROOT).endsWith(".zip");
    Path target = entry.resolve(archive ? "data.d" : "data");
    if (Files.exists(target)) {
      return target;
    }
    try {
      Files.createDirectories(entry);
      Path download = Files.createTempFile(entry, "download", ".part");
      try {
        String digest = download(url, download);
        if (!digest.equals(sha256)) {
          throw new DatasetFormatException(
              "data.source.sha256: "
                  + url
                  + " has digest "
                  + digest
                  + ", the spec expects "
                  + sha256);
        }
        Path ready = download;
        if (archive) {
          ready = Files.createTempDirectory(entry, "unpack");
          unzip(download, ready, url);
        }
        try {
          Files.move(ready, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.FileAlreadyExistsException
            | java.nio.file.DirectoryNotEmptyException e) {
          if (!Files.exists(target)) {
            throw e;
          }
          // another process of this host fetched the same digest first: its copy is as good
        }
      } finally {
        Files.deleteIfExists(download);
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot fetch " + url + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while fetching " + url, e);
    }
  }

  private String download(String url, Path file) throws IOException, InterruptedException {
    HttpResponse<InputStream> response =
        client.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(RESPONSE_TIMEOUT).GET().build(),
            HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = response.body()) {
      if (response.statusCode() != 200) {
        throw new DatasetFormatException(
            "data.source.url: " + url + " answered HTTP " + response.statusCode());
      }
      long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
      limits.checkSourceBytes(url + " (Content-Length)", declared);
      MessageDigest sha = sha256();
      long total = 0;
      AtomicBoolean late = new AtomicBoolean();
      ScheduledFuture<?> watchdog =
          DEADLINES.schedule(
              () -> {
                late.set(true);
                try {
                  in.close();
                } catch (IOException ignored) {
                  // closing is all the deadline does; the reader sees the stream closed
                }
              },
              deadline.toMillis(),
              TimeUnit.MILLISECONDS);
      byte[] buffer = new byte[1 << 16];
      try (OutputStream out = Files.newOutputStream(file)) {
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          total += n;
          limits.checkSourceBytes(url, total);
          sha.update(buffer, 0, n);
          out.write(buffer, 0, n);
        }
      } catch (IOException e) {
        if (late.get()) {
          throw new DatasetFormatException(
              "data.source.url: "
                  + url
                  + " took longer than "
                  + deadline.toSeconds()
                  + " s to download ("
                  + total
                  + " bytes by then)");
        }
        throw e;
      } finally {
        watchdog.cancel(false);
      }
      return HEX.formatHex(sha.digest());
    }
  }

  private void unzip(Path zip, Path dir, String url) throws IOException {
    long total = 0;
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
      byte[] buffer = new byte[1 << 16];
      for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        Path out = dir.resolve(e.getName()).normalize();
        if (!out.startsWith(dir) || Path.of(e.getName()).isAbsolute()) {
          throw new DatasetFormatException(url + ": archive entry '" + e.getName() + "' leaves it");
        }
        if (e.isDirectory()) {
          Files.createDirectories(out);
          continue;
        }
        Files.createDirectories(out.getParent());
        try (OutputStream o = Files.newOutputStream(out)) {
          for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            total += n;
            limits.checkSourceBytes(url + " unpacked", total);
            o.write(buffer, 0, n);
          }
        }
      }
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
